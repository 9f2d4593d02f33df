"""The standard disaggregation categories, as plain data.

Used both by ``services.ensure_standard_categories()`` and by the data migration
``0002_standard_categories`` (a migration must not import models, so this module imports none:
``install`` receives the model class, the real one or the migration's historical one).

Sex, age and form of trafficking are valid for every country (``country`` empty); regions are
those of one country (ISO 3166-1 alpha-3 code).

Côte d'Ivoire ("CIV"): the 31 regions and the 2 autonomous districts (Abidjan, Yamoussoukro) that
together cover the territory. Source: Décret n° 2011-263 du 28 septembre 2011 portant organisation
du territoire national en districts et en régions (12 districts grouping the regions, plus the
autonomous districts of Abidjan and Yamoussoukro); the Moronou region was created out of N'Zi by
Décret n° 2012-612 of 4 July 2012, giving the current 31 regions. The official names are French;
English uses the same names.
The district each region belongs to is noted for reference only: regions and autonomous districts
form a single level whose parts add up to the national total.
"""

from __future__ import annotations

from typing import Any, TypedDict


class CategorySpec(TypedDict):
    dimension: str
    code: str
    label_fr: str
    label_en: str
    country: str
    parent: str  # code of the parent category in the same dimension and country, or ""
    order: int


def _spec(
    dimension: str,
    code: str,
    label_fr: str,
    label_en: str,
    order: int,
    *,
    country: str = "",
    parent: str = "",
) -> CategorySpec:
    return {
        "dimension": dimension,
        "code": code,
        "label_fr": label_fr,
        "label_en": label_en,
        "country": country,
        "parent": parent,
        "order": order,
    }


SEX = [
    _spec("sex", "female", "Féminin", "Female", 1),
    _spec("sex", "male", "Masculin", "Male", 2),
    _spec("sex", "other-or-unknown", "Autre ou non précisé", "Other or unknown", 3),
]

AGE = [
    _spec("age", "under-18", "Moins de 18 ans", "Under 18", 1),
    _spec("age", "age-0-5", "0 à 5 ans", "0–5 years", 2, parent="under-18"),
    _spec("age", "age-6-11", "6 à 11 ans", "6–11 years", 3, parent="under-18"),
    _spec("age", "age-12-14", "12 à 14 ans", "12–14 years", 4, parent="under-18"),
    _spec("age", "age-15-17", "15 à 17 ans", "15–17 years", 5, parent="under-18"),
    _spec("age", "18-and-over", "18 ans et plus", "18 and over", 6),
]

TRAFFICKING_FORM = [
    _spec("trafficking_form", "forced-labor", "Travail forcé", "Forced labor", 1),
    _spec("trafficking_form", "sexual-exploitation", "Exploitation sexuelle", "Sexual exploitation", 2),
    _spec("trafficking_form", "other-form", "Autre forme", "Other form", 3),
]

# (district, [regions]) per Décret n° 2011-263 du 28 septembre 2011; Moronou per Décret n° 2012-612
# du 4 juillet 2012 (split from N'Zi).
CIV_DISTRICTS: list[tuple[str, list[str]]] = [
    ("Abidjan (district autonome)", ["Abidjan"]),
    ("Yamoussoukro (district autonome)", ["Yamoussoukro"]),
    ("Bas-Sassandra", ["Gbôklé", "Nawa", "San-Pédro"]),
    ("Comoé", ["Indénié-Djuablin", "Sud-Comoé"]),
    ("Denguélé", ["Folon", "Kabadougou"]),
    ("Gôh-Djiboua", ["Gôh", "Lôh-Djiboua"]),
    ("Lacs", ["Bélier", "Iffou", "Moronou", "N'Zi"]),
    ("Lagunes", ["Agnéby-Tiassa", "Grands-Ponts", "La Mé"]),
    ("Montagnes", ["Cavally", "Guémon", "Tonkpi"]),
    ("Sassandra-Marahoué", ["Haut-Sassandra", "Marahoué"]),
    ("Savanes", ["Bagoué", "Poro", "Tchologo"]),
    ("Vallée du Bandama", ["Gbêkê", "Hambol"]),
    ("Woroba", ["Bafing", "Béré", "Worodougou"]),
    ("Zanzan", ["Bounkani", "Gontougo"]),
]
CIV_AUTONOMOUS_DISTRICTS = ["Abidjan", "Yamoussoukro"]


def _slug(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().replace("'", "")
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_name.lower()).split())


def _civ_regions() -> list[CategorySpec]:
    specs = []
    # Autonomous districts first, then the regions in alphabetical order.
    names = CIV_AUTONOMOUS_DISTRICTS + sorted(
        (r for _d, regions in CIV_DISTRICTS for r in regions if r not in CIV_AUTONOMOUS_DISTRICTS),
        key=_slug,
    )
    for order, name in enumerate(names, start=1):
        label = f"District autonome d'{name}" if name == "Abidjan" else name
        if name == "Yamoussoukro":
            label = "District autonome de Yamoussoukro"
        english = {
            "Abidjan": "Abidjan Autonomous District",
            "Yamoussoukro": "Yamoussoukro Autonomous District",
        }.get(name, name)
        specs.append(_spec("region", _slug(name), label, english, order, country="CIV"))
    return specs


REGIONS_CIV = _civ_regions()

STANDARD_CATEGORIES: list[CategorySpec] = SEX + AGE + TRAFFICKING_FORM + REGIONS_CIV


def install(model: Any) -> int:
    """Create or update the standard categories with ``model`` (idempotent). Returns how many rows
    were created. Parents come before their children in the list."""
    created_count = 0
    by_key: dict[tuple[str, str, str], Any] = {}
    for spec in STANDARD_CATEGORIES:
        parent = by_key.get((spec["dimension"], spec["country"], spec["parent"])) if spec["parent"] else None
        obj, created = model.objects.update_or_create(
            dimension=spec["dimension"],
            country=spec["country"],
            code=spec["code"],
            defaults={
                "label_fr": spec["label_fr"],
                "label_en": spec["label_en"],
                "order": spec["order"],
                "parent": parent,
            },
        )
        by_key[(spec["dimension"], spec["country"], spec["code"])] = obj
        created_count += int(created)
    return created_count
