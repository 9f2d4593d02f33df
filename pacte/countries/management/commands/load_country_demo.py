"""``python manage.py load_country_demo``: a demonstration selection model and one saved run.

The model follows the criteria of the CPC fact sheet (seed 000) that the shipped data cover: the tier in
the TIP report, Freedom House ratings, the Corruption Perceptions Index, economic development and
schooling, with low- and middle-income countries only and Tier 1 countries excluded. Its weights are an
illustration, not the TIP Office's. The run is "as of" 31 December 2016, the last year for which the shipped
files hold a complete table of tier placements. Idempotent: an existing demonstration model is left alone.
"""

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pacte.countries.models import Metric, ModelCriterion, SelectionModel
from pacte.countries.selection import create_run, save_model

DEMO_MODEL_NAME = "Critères de la fiche d'information (démonstration)"
DEMO_AS_OF = dt.date(2016, 12, 31)
DEMO_CRITERIA = [
    # (metric code, direction, weight): a worse tier, a poorer and less schooled country signal need;
    # better political rights, civil liberties and integrity signal a workable partnership.
    ("tip_tier", ModelCriterion.Direction.HIGHER, 2),
    ("fh_political_rights", ModelCriterion.Direction.LOWER, 1),
    ("fh_civil_liberties", ModelCriterion.Direction.LOWER, 1),
    ("cpi_score", ModelCriterion.Direction.HIGHER, 1),
    ("gdp_per_capita_ppp", ModelCriterion.Direction.LOWER, 1),
    ("expected_years_schooling", ModelCriterion.Direction.LOWER, 1),
]


class Command(BaseCommand):
    help = "Create a demonstration selection model (fact-sheet criteria) and one saved run as of 2016-12-31."

    def handle(self, *args: Any, **options: Any) -> None:
        if SelectionModel.objects.filter(name=DEMO_MODEL_NAME).exists():
            self.stdout.write("Demonstration selection model already present: nothing to do.")
            return
        missing = [code for code, _d, _w in DEMO_CRITERIA if not Metric.objects.filter(code=code).exists()]
        if missing:
            raise CommandError(f"Run `manage.py import_country_data` first (missing: {', '.join(missing)}).")
        users = get_user_model()._default_manager
        author = users.filter(username="officer").first() or users.filter(is_superuser=True).first()
        if author is None:
            raise CommandError(
                "Run `manage.py load_demo` first: the demonstration model needs a TIP Office user."
            )
        with transaction.atomic():
            model = save_model(
                user=author,
                instance=SelectionModel(),
                data={
                    "name": DEMO_MODEL_NAME,
                    "description": (
                        "Modèle de démonstration : critères de la fiche d'information CPC couverts par les "
                        "données livrées avec Pacte. Les pondérations sont une illustration, pas celles du "
                        "Bureau TIP."
                    ),
                    "missing_policy": SelectionModel.MissingPolicy.EXCLUDE,
                    "max_age_years": 5,
                    "income_groups": ["Low income", "Lower middle income", "Upper middle income"],
                    "exclude_tier_1": True,
                    "exclude_restricted": True,
                    "top_n": 10,
                },
                criteria=[
                    {
                        "metric": code,
                        "direction": direction,
                        "normalisation": ModelCriterion.Normalisation.MIN_MAX,
                        "weight": weight,
                    }
                    for code, direction, weight in DEMO_CRITERIA
                ],
            )
            run = create_run(
                model=model,
                as_of=DEMO_AS_OF,
                title="Démonstration – au 31 décembre 2016",
                created_by=author,
            )
        ranked = len(run.results.get("ranking", []))
        self.stdout.write(
            f"Demonstration selection model created; run as of {DEMO_AS_OF} ranks {ranked} countries."
        )
