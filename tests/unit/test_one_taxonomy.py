"""One taxonomy: category data (codes with their priorities and time limits) lives only in
grid-registry's seed. A second copy drifts (it did: dispatch's own list gave `nyc.heating` HIGH
where the registry says URGENT), so any service file naming many seed categories fails this test."""

from __future__ import annotations

import csv
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "services/gridplus/grid_registry/seed"
# A handful of codes is an example or a rule (a test, a responsibility default); more is a list.
MOST_CODES_OUTSIDE_THE_SEED = 4


def seed_codes() -> set[str]:
    lines = [line for line in (SEED / "categories.csv").open() if not line.startswith("#")]
    # Short codes ("other") are ordinary words; the test looks for the distinctive ones.
    return {row["code"] for row in csv.DictReader(lines) if len(row["code"]) > 5}


def codes_named(text: str, codes: set[str]) -> set[str]:
    words = set(re.findall(r"(?<![\w.])[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*", text))
    return words & codes


def copies(root: Path, codes: set[str]) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in {".py", ".csv", ".json", ".yaml", ".toml"}:
            continue
        if SEED in path.parents or "api" in path.relative_to(root).parts[:2]:
            continue
        named = codes_named(path.read_text(encoding="utf-8", errors="ignore"), codes)
        if len(named) > MOST_CODES_OUTSIDE_THE_SEED:
            found.append(f"{path.relative_to(root)} names {len(named)} seed categories")
    return found


def test_no_service_keeps_a_second_copy_of_the_category_taxonomy() -> None:
    assert copies(ROOT / "services/gridplus", seed_codes()) == []


def test_a_planted_copy_is_found(tmp_path: Path) -> None:
    codes = sorted(seed_codes())[:6]
    (tmp_path / "categories.py").write_text(
        "LIMITS = {\n"
        + "".join(f'    "{code}": ("normal", 480, 2400),\n' for code in codes)
        + "}\n"
    )
    (tmp_path / "example.py").write_text(f'EXAMPLE = "{codes[0]}"\n')
    assert copies(tmp_path, set(codes)) == ["categories.py names 6 seed categories"]
