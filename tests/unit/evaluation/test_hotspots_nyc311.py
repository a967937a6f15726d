"""Repeat locations on the real NYC 311 rows in ../shared/data (a day of requests each, with
many repeats at the same addresses): the clusters found are printed, and each of the five
largest is checked against the rows' own addresses — its rows share one street."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gridplus.evaluation.domain.hotspots import PetitionPoint, distance_m, repeat_locations

DATA = Path("/work/shared/data")
FILES = {
    # file: (key, created, type, address, street, board, latitude, longitude, created format)
    "nyc311_2013-12-25_nikeiubel.csv": (
        "Unique Key", "Created Date", "Complaint Type", "Incident Address", "Street Name",
        "Community Board", "Latitude", "Longitude", "%m/%d/%Y %I:%M:%S %p",
    ),
    "nyc311_2025-10-13_mohrum12.csv": (
        "unique_key", "created_date", "complaint_type", "incident_address", "street_name",
        "community_board", "latitude", "longitude", "%Y-%m-%dT%H:%M:%S.%f",
    ),
}  # fmt: skip
RADIUS_M = 50.0


@dataclass(frozen=True)
class Row:
    point: PetitionPoint
    address: str
    street: str


def load(name: str) -> list[Row]:
    key, created, kind, address, street, board, lat, lon, when = FILES[name]
    rows = []
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        for raw in csv.DictReader(handle):
            if not raw[lat] or not raw[lon]:
                continue  # rows without coordinates cannot be placed
            point = PetitionPoint(
                petition_id=raw[key],
                latitude=float(raw[lat]),
                longitude=float(raw[lon]),
                category=raw[kind],
                grid_path=(raw[board],),
                submitted_at=datetime.strptime(raw[created], when).replace(tzinfo=UTC),
                status="SUBMITTED",
            )
            rows.append(Row(point, raw[address].strip().upper(), raw[street].strip().upper()))
    return rows


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_five_largest_repeat_locations_are_one_street_each(name: str) -> None:
    if not (DATA / name).exists():
        pytest.skip(f"{DATA / name} is not on this machine")
    rows = load(name)
    by_id = {r.point.petition_id: r for r in rows}
    clusters = repeat_locations([r.point for r in rows], radius_m=RADIUS_M, min_points=3)
    print(f"\n{name}: {len(rows)} rows with coordinates, {len(clusters)} repeat locations")
    for cluster in clusters:
        addresses = Counter(by_id[i].address for i in cluster.petition_ids)
        print(
            f"  {cluster.size:3d} petitions, radius {cluster.radius_m:5.1f} m, "
            f"{dict(cluster.categories)} grids {list(cluster.grid_codes)}: "
            f"{dict(addresses.most_common(3))}"
        )
    assert len(clusters) >= 5
    for cluster in clusters[:5]:
        members = [by_id[i] for i in cluster.petition_ids]
        streets = Counter(r.street for r in members if r.street)
        street, count = streets.most_common(1)[0]
        # The rows' own street names agree: at least two thirds name the cluster's street (a
        # cluster may reach round a corner), and its commonest address is itself a repeat.
        assert count >= 2 / 3 * cluster.size, (street, streets)
        assert Counter(r.address for r in members).most_common(1)[0][1] >= 2
        # And the points really lie within tens of metres of the cluster's centre.
        assert cluster.radius_m < 150
        for r in members:
            at = r.point
            away = distance_m(cluster.latitude, cluster.longitude, at.latitude, at.longitude)
            assert away <= cluster.radius_m + 1e-6
    # Conversely, the five most repeated addresses are each found whole, in one cluster.
    cluster_of = {i: n for n, c in enumerate(clusters) for i in c.petition_ids}
    addresses = Counter(r.address for r in rows if r.address)
    for address, count in addresses.most_common(5):
        holding = {cluster_of.get(r.point.petition_id) for r in rows if r.address == address}
        print(f"  address {address!r}: {count} rows, in cluster(s) {sorted(map(str, holding))}")
        assert len(holding) == 1 and None not in holding, (address, holding)
