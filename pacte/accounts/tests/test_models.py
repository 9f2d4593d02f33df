"""Organisations, users and the code validators (country, currency)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation, User, country_name, validate_country_code
from pacte.compacts.models import Commitment, Compact, validate_currency

T = Organisation.Type


class TestOrganisation:
    @pytest.mark.parametrize("kind", [k.value for k in Organisation.PartnerKind])
    def test_implementing_partner_with_its_kind_is_valid(self, db, kind):
        org = Organisation(name=f"Partner {kind}", org_type=T.IMPLEMENTING_PARTNER, partner_kind=kind)
        org.full_clean()

    def test_implementing_partner_needs_its_kind(self, db):
        org = Organisation(name="NGO", org_type=T.IMPLEMENTING_PARTNER)
        with pytest.raises(ValidationError) as exc:
            org.full_clean()
        assert list(exc.value.message_dict) == ["partner_kind"]

    @pytest.mark.parametrize("org_type", [t for t in T if t != T.IMPLEMENTING_PARTNER])
    def test_only_implementing_partners_have_a_kind(self, db, org_type):
        Organisation(name="Body", org_type=org_type).full_clean()
        with pytest.raises(ValidationError) as exc:
            Organisation(name="Body", org_type=org_type, partner_kind="ngo").full_clean()
        assert list(exc.value.message_dict) == ["partner_kind"]

    def test_unknown_kind_is_refused(self, db):
        with pytest.raises(ValidationError) as exc:
            Organisation(name="X", org_type=T.IMPLEMENTING_PARTNER, partner_kind="church").full_clean()
        assert "partner_kind" in exc.value.message_dict

    def test_country_is_optional_but_must_be_a_code(self, db):
        Organisation(name="No country", org_type=T.DONOR_OFFICE).full_clean()
        with pytest.raises(ValidationError) as exc:
            Organisation(name="Bad", org_type=T.DONOR_OFFICE, country="ZZZ").full_clean()
        assert "country" in exc.value.message_dict

    def test_name_is_unique(self, db):
        OrganisationFactory(name="CNS")
        with pytest.raises(ValidationError) as exc:
            Organisation(name="CNS", org_type=T.PARTNER_GOVERNMENT).full_clean()
        assert "name" in exc.value.message_dict

    def test_short_name_and_str(self):
        assert Organisation(name="Comité National de Surveillance", acronym="CNS").short_name == "CNS"
        assert str(Organisation(name="Comité National de Surveillance", acronym="CNS")) == (
            "Comité National de Surveillance (CNS)"
        )
        assert Organisation(name="TIP Office").short_name == "TIP Office"


class TestUser:
    def test_user_needs_an_organisation(self, db):
        user = User(username="someone", password="x")
        with pytest.raises(ValidationError) as exc:
            user.full_clean()
        assert list(exc.value.message_dict) == ["organisation"]

    def test_user_of_an_organisation_is_valid(self, db):
        User(username="someone", password="x", organisation=OrganisationFactory()).full_clean()

    def test_site_administrator_needs_no_organisation(self, db):
        User(username="root", password="x", is_superuser=True).full_clean()

    def test_site_admin_flag_needs_an_active_superuser(self, db):
        assert UserFactory(username="a", is_superuser=True).is_site_admin is True
        assert UserFactory(username="b", is_superuser=True, is_active=False).is_site_admin is False
        assert UserFactory(username="c").is_site_admin is False

    def test_language_is_french_by_default_and_must_be_offered(self, db):
        user = UserFactory(username="d")
        assert user.language == "fr"
        user.language = "de"
        with pytest.raises(ValidationError) as exc:
            user.full_clean()
        assert "language" in exc.value.message_dict


class TestCodes:
    @pytest.mark.parametrize("code", ["CIV", "USA", "GHA", ""])
    def test_valid_country_codes(self, code):
        validate_country_code(code)

    @pytest.mark.parametrize("code", ["ZZZ", "CI", "CIVX", "Côte d'Ivoire", "384"])
    def test_invalid_country_codes(self, code):
        with pytest.raises(ValidationError) as exc:
            validate_country_code(code)
        assert code in exc.value.messages[0]

    def test_country_name(self):
        assert country_name("CIV") == "Côte d'Ivoire"
        assert country_name("") == ""

    @pytest.mark.parametrize("code", ["USD", "XOF", "EUR"])
    def test_valid_currencies(self, code):
        validate_currency(code)

    @pytest.mark.parametrize("code", ["XYZ", "US", "DOLLAR", "", "840"])
    def test_invalid_currencies(self, code):
        with pytest.raises(ValidationError):
            validate_currency(code)

    def test_compact_country_code_must_be_in_capitals(self):
        """pycountry looks codes up case-insensitively, so the validator alone accepts "civ"."""
        compact = Compact(title="CPC", country="civ")
        with pytest.raises(ValidationError) as exc:
            compact.full_clean()
        assert "country" in exc.value.message_dict
        Compact(title="CPC", country="CIV").full_clean()

    def test_commitment_currency_must_be_in_capitals(self, compact):
        partner = compact.parties.get(kind="partner_country")
        commitment = Commitment(
            compact=compact,
            party=partner,
            kind=Commitment.Kind.FINANCIAL,
            description="Budget",
            amount=Decimal("1000"),
            currency="xof",
        )
        with pytest.raises(ValidationError) as exc:
            commitment.full_clean()
        assert "currency" in exc.value.message_dict
        commitment.currency = "XOF"
        commitment.full_clean()
