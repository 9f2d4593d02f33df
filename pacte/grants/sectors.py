"""OECD DAC 5-digit sector codes (IATI sector vocabulary 1), read from ``data/Sector.xml``.

The file is a verbatim copy of the IATI codelist (source and commit in ``data/PROVENANCE.md``); it is
parsed once, on first use. Only codes with ``status="active"`` are accepted for new data; the names of
withdrawn codes stay available so that older records can still be shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET  # noqa: S405 - our own copy of a published codelist, not user input

SECTOR_FILE = Path(__file__).resolve().parent / "data" / "Sector.xml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Sector:
    code: str
    names: dict[str, str]  # language code -> name
    category: str
    active: bool


@cache
def sectors() -> dict[str, Sector]:
    """Every sector of the codelist by code (active and withdrawn)."""
    root = ET.parse(SECTOR_FILE).getroot()  # noqa: S314 - trusted file shipped with the code
    default_language = root.get(XML_LANG, "en")
    result: dict[str, Sector] = {}
    for item in root.iter("codelist-item"):
        code = (item.findtext("code") or "").strip()
        if not code:
            continue
        names: dict[str, str] = {}
        for narrative in item.findall("name/narrative"):
            language = narrative.get(XML_LANG, default_language)
            text = (narrative.text or "").strip()
            if text:
                names.setdefault(language, text)
        result[code] = Sector(
            code=code,
            names=names,
            category=(item.findtext("category") or "").strip(),
            active=item.get("status", "active") == "active",
        )
    return result


def is_dac_sector(code: object) -> bool:
    """True for an active 5-digit DAC sector code (``"15160"``)."""
    if not isinstance(code, str):
        return False
    sector = sectors().get(code.strip())
    return sector is not None and sector.active and len(sector.code) == 5 and sector.code.isdigit()


def is_withdrawn_sector(code: object) -> bool:
    """True for a code the DAC list still holds but has withdrawn."""
    sector = sectors().get(code.strip()) if isinstance(code, str) else None
    return sector is not None and not sector.active


def sector_name(code: str, language: str = "fr") -> str:
    """The sector's name in ``language`` (``fr``, ``fr-ca`` …) when the codelist has it, else in English;
    an empty string for an unknown code."""
    sector = sectors().get(code.strip()) if isinstance(code, str) else None
    if sector is None:
        return ""
    base = (language or "en").split("-")[0].split("_")[0].lower()
    return sector.names.get(base) or sector.names.get("en") or next(iter(sector.names.values()), "")


def sector_choices(language: str = "fr") -> list[tuple[str, str]]:
    """Active sectors as (code, "code – name") pairs, in code order, for forms."""
    return [
        (code, f"{code} – {sector_name(code, language)}")
        for code, sector in sorted(sectors().items())
        if sector.active
    ]
