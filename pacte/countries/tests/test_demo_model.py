"""The demonstration selection model runs on the real shipped data, once."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pacte.countries.management.commands.load_country_demo import DEMO_AS_OF, DEMO_MODEL_NAME
from pacte.countries.models import SelectionModel, SelectionRun


@pytest.mark.django_db
def test_demo_model_needs_the_data_then_runs_once():
    with pytest.raises(CommandError):
        call_command("load_country_demo")
    call_command("import_country_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_country_demo")
    call_command("load_country_demo")
    model = SelectionModel.objects.get(name=DEMO_MODEL_NAME)
    run = SelectionRun.objects.get(model=model)
    assert run.as_of == DEMO_AS_OF
    ranking = run.results["ranking"]
    assert len(ranking) > 50
    # Low- and middle-income only, Tier 1 excluded, every value public by the as-of date.
    for row in ranking:
        for value in row["values"].values():
            assert value["published_on"] is None or value["published_on"] <= DEMO_AS_OF.isoformat()
    assert all("metric:tip_tier" in row["contributions"] for row in ranking)
    assert run.sensitivity["draws"] == 10_000
