"""A made-up household register for the demo city (gridctl generate-households), as the CSV
rows gridctl import-households reads (domain/household_rows.py).

Deterministic for a seed: the same places and seed give the same file, so `make run` loads it
once and later runs change nothing. Names are drawn from short lists, phones from the fictional
555-01xx range, ID numbers are 18 characters that are not real ones (region 000000). About one
household in five holds a member of a care group, most often an elderly person living alone.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator

from gridplus.grid_registry.domain.places import Place, PlaceKind

_NAMES = (
    (
        ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"),
        ("秀英", "伟", "娜", "敏", "静", "磊"),
    ),
    (("Lopez", "Smith", "Khan", "Cohen", "Nguyen", "Diaz"), ("Maria", "James", "Aisha", "Luis")),
)
_STREETS = ("Broadway", "Pearl St", "Canal St", "Grand St", "Main St", "Park Ave", "Ocean Ave")
# (care groups, birth-year range) of the care member a household may hold, with its weight.
_CARE = (
    (("ELDERLY_ALONE",), (1935, 1955), 8),
    (("DISABLED",), (1950, 2000), 3),
    (("SUBSISTENCE",), (1950, 1990), 3),
    (("LEFT_BEHIND_CHILD",), (2012, 2020), 2),
    (("IN_DIFFICULTY", "SUBSISTENCE"), (1955, 1985), 2),
    (("ELDERLY_ALONE", "DISABLED"), (1935, 1950), 2),
)
CARE_SHARE = 0.2


def demo_household_rows(
    places: Iterable[Place], *, per_unit: int, seed: int
) -> list[dict[str, str]]:
    """`per_unit` households in every unit (a building without units counts as one)."""
    rng = random.Random(seed)
    serials = itertools.count(1)
    units = _units(list(places))
    rows: list[dict[str, str]] = []
    for place in units:
        street = f"{rng.randint(1, 400)} {rng.choice(_STREETS)}"
        for number in range(1, per_unit + 1):
            key = f"demo-{place.code}-{number:02d}"
            unit = f"{rng.randint(1, 12)}-{number:02d}"
            common = {
                "household_key": key,
                "place_code": place.code,
                "address": street,
                "unit": unit,
            }
            rows += [{**common, **person} for person in _people(rng, serials)]
    return rows


def _units(places: list[Place]) -> list[Place]:
    with_units = {place.parent_code for place in places if place.kind is PlaceKind.UNIT}
    return sorted(
        (p for p in places if p.kind is PlaceKind.UNIT or p.code not in with_units),
        key=lambda place: place.code,
    )


def _people(rng: random.Random, serials: Iterator[int]) -> list[dict[str, str]]:
    if rng.random() < CARE_SHARE:
        groups, (low, high), _ = rng.choices(_CARE, weights=[c[2] for c in _CARE])[0]
        people = [_person(rng, serials, rng.randint(low, high), groups)]
        if groups[0] != "ELDERLY_ALONE":
            people.append(_person(rng, serials, rng.randint(1950, 1995), ()))
        return people
    return [_person(rng, serials, rng.randint(1940, 2020), ()) for _ in range(rng.randint(1, 4))]


def _person(
    rng: random.Random, serials: Iterator[int], year: int, groups: tuple[str, ...]
) -> dict[str, str]:
    families, givens = _NAMES[rng.random() < 0.4]
    family, given = rng.choice(families), rng.choice(givens)
    name = f"{given} {family}" if family.isascii() else family + given
    serial = next(serials)
    return {
        "name": name,
        "phone": f"+1-212-555-{100 + rng.randint(0, 99):04d}" if year < 2008 else "",
        # Not a real ID: region 000000, the birth year, a serial unique in the file.
        "id_number": f"000000{year}{serial:08d}" if year < 2008 else "",
        "birth_year": str(year),
        "care_groups": ";".join(groups),
    }
