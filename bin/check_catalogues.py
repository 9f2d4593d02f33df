"""Fail when a gettext catalogue has an untranslated or fuzzy entry (uses msgfmt --statistics)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    catalogues = sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po"))
    if not catalogues:
        print("No catalogue found under locale/.")
        return 1
    failed = False
    for po in catalogues:
        result = subprocess.run(  # noqa: S603
            ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        stats = (result.stderr or result.stdout).strip()
        bad = result.returncode != 0 or "untranslated" in stats or "fuzzy" in stats
        print(f"{po.relative_to(ROOT)}: {stats}")
        failed = failed or bad
    if failed:
        print("Every entry of every catalogue must be translated and not fuzzy.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
