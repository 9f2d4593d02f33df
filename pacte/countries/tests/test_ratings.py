"""Qualitative ratings: dated, 1–5, justified, by selection staff only."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from pacte.countries.imports import record_rating
from pacte.countries.matching import ensure_countries
from pacte.countries.models import Country, QualitativeCriterion, QualitativeRating

JUSTIFICATION = "The national action plan 2021–2025 is funded and its committee met four times in 2023."


@pytest.fixture
def countries(db):
    ensure_countries()


def rating_data(**overrides):
    data = {
        "country": "CIV",
        "criterion": QualitativeCriterion.POLITICAL_WILL,
        "score": 4,
        "rated_on": dt.date(2024, 3, 1),
        "justification": JUSTIFICATION,
    }
    data.update(overrides)
    return data


def test_record_rating_keeps_author_date_and_justification(officer, countries):
    rating = record_rating(user=officer, data=rating_data())
    assert (rating.country.iso3, rating.criterion, rating.score, rating.rated_on, rating.author) == (
        "CIV",
        "political_will",
        4,
        dt.date(2024, 3, 1),
        officer,
    )
    assert rating.justification == JUSTIFICATION
    # A later rating does not replace the earlier one.
    record_rating(user=officer, data=rating_data(score=2, rated_on=dt.date(2024, 9, 1)))
    assert list(QualitativeRating.objects.values_list("score", flat=True)) == [2, 4]


def test_record_rating_accepts_a_country_object_and_text_values(officer, countries):
    rating = record_rating(
        user=officer,
        data=rating_data(
            country=Country.objects.get(iso3="GHA"),
            criterion="restrictions_on_assistance",
            score="1",
            rated_on="2023-12-31",
        ),
    )
    assert (rating.country.iso3, rating.score, rating.rated_on) == ("GHA", 1, dt.date(2023, 12, 31))


def test_every_bad_field_is_reported_and_nothing_saved(officer, countries):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        record_rating(
            user=officer,
            data={
                "country": "Atlantis",
                "criterion": "charm",
                "score": 6,
                "rated_on": tomorrow,
                "justification": "ok",
            },
        )
    assert set(error.value.message_dict) == {"country", "criterion", "score", "rated_on", "justification"}
    assert not QualitativeRating.objects.exists()


@pytest.mark.parametrize("score", [0, 6, 2.5, "high", None])
def test_score_must_be_an_integer_from_1_to_5(officer, countries, score):
    with pytest.raises(ValidationError) as error:
        record_rating(user=officer, data=rating_data(score=score))
    assert set(error.value.message_dict) == {"score"}


def test_missing_date_is_a_field_error(officer, countries):
    with pytest.raises(ValidationError) as error:
        record_rating(user=officer, data=rating_data(rated_on="not a date"))
    assert set(error.value.message_dict) == {"rated_on"}


@pytest.mark.parametrize("who", ["outsider", "observer", "anonymous"])
def test_only_selection_staff_may_rate(request, countries, who):
    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        record_rating(user=user, data=rating_data())
    assert not QualitativeRating.objects.exists()


def test_superuser_may_rate(countries, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    assert record_rating(user=admin, data=rating_data()).author == admin


# -- page ----------------------------------------------------------------------------------------------
def test_rating_page_preselects_the_country_and_saves(officer_client, officer, countries):
    url = reverse("countries:rating_add")
    response = officer_client.get(url, {"country": "civ"})
    assert response.status_code == 200
    assert response.context["form"].initial["country"] == "CIV"
    assert '<option value="CIV" selected>' in response.content.decode()

    response = officer_client.post(
        url,
        {
            "country": "CIV",
            "criterion": "partnership_commitment",
            "score": "5",
            "rated_on": "2024-02-01",
            "justification": JUSTIFICATION,
        },
    )
    assert response.status_code == 302
    rating = QualitativeRating.objects.get()
    assert (rating.criterion, rating.score, rating.author) == ("partnership_commitment", 5, officer)
    # The page then lists the earlier ratings of the country.
    page = officer_client.get(url, {"country": "CIV"})
    assert JUSTIFICATION in page.content.decode()


def test_rating_page_redirects_to_a_safe_next(officer_client, countries):
    data = rating_data(rated_on="2024-02-01")
    response = officer_client.post(reverse("countries:rating_add") + "?next=/countries/", data)
    assert response.status_code == 302 and response["Location"] == "/countries/"
    data["rated_on"] = "2024-02-02"
    response = officer_client.post(reverse("countries:rating_add") + "?next=https://evil.example/", data)
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_rating_page_bad_input_answers_400_and_saves_nothing(officer_client, countries):
    response = officer_client.post(
        reverse("countries:rating_add"),
        {
            "country": "CIV",
            "criterion": "political_will",
            "score": "4",
            "rated_on": "2024-02-01",
            "justification": "Too short",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["justification"]
    assert not QualitativeRating.objects.exists()


def test_rating_page_is_forbidden_to_other_organisations(outsider_client, observer_client, client, countries):
    url = reverse("countries:rating_add")
    data = rating_data(rated_on="2024-02-01")
    assert outsider_client.post(url, data).status_code == 403
    assert observer_client.get(url).status_code == 403
    response = client.post(url, data)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not QualitativeRating.objects.exists()
