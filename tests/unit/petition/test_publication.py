"""What the public Open311 views may show: redaction of phones, emails and ID numbers, the
coarse point, and which free text each publishing level lets out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gridplus.kit.auth import Role
from gridplus.kit.config import ConfigError, Env
from gridplus.petition.config import PetitionSettings
from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.publication import (
    PublishLevel,
    coarsen,
    may_publish_text,
    public_details,
)
from gridplus.petition.domain.redaction import EMAIL, ID_NUMBER, NUMBER, PHONE, redact
from gridplus.petition.domain.submission import Submission
from gridplus.petition.domain.values import Actor, GeoPoint, Publication, Source

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "published"),
    [
        ("call me on 212 555 0101", f"call me on {PHONE}"),
        ("call (212) 555-0101 after 6", f"call {PHONE} after 6"),
        ("+1 212.555.0101", PHONE),
        ("电话13812345678，谢谢", f"电话{PHONE}，谢谢"),
        ("手机 138-1234-5678", f"手机 {PHONE}"),
        ("+86 138 1234 5678 anytime", f"{PHONE} anytime"),
        ("座机010-12345678", f"座机{PHONE}"),
        ("2125550101", PHONE),
        ("mail zhang.san+gridplus@example.org.", f"mail {EMAIL}."),
        ("邮箱zhangsan@qq.com谢谢", f"邮箱{EMAIL}谢谢"),
        ("身份证110101199003071234", f"身份证{ID_NUMBER}"),
        ("ID 11010119900307123X done", f"ID {ID_NUMBER} done"),
        ("SSN 123-45-6789", f"SSN {ID_NUMBER}"),
        ("card 6222 0212 3456 7890 123", f"card {NUMBER}"),
    ],
)
def test_phones_emails_and_id_numbers_are_redacted(text: str, published: str) -> None:
    assert redact(text) == published


@pytest.mark.parametrize(
    "kept",
    [
        "since 2026-11-27 the lamp at No. 12 is out",
        "from 27.11.2026 until 09:30, about 1,000,000 yuan",
        "building 3, unit 2, room 1402",
        "lat 40.71",
        "第3网格 5号楼 2单元",
    ],
)
def test_dates_house_numbers_times_and_amounts_stay(kept: str) -> None:
    assert redact(kept) == kept


def test_published_text_loses_control_and_bidi_characters_but_keeps_lines() -> None:
    spoofed = "lamp\u202egnp.exe\x00 out\nsince Monday\t!"
    assert redact(spoofed) == "lampgnp.exe out\nsince Monday\t!"


def test_the_point_is_coarsened_to_a_cell_of_about_100_m() -> None:
    assert coarsen(GeoPoint(40.712776, -74.005974)) == GeoPoint(40.713, -74.006)
    # Two homes 30 m apart in the same cell show the same point.
    assert coarsen(GeoPoint(40.71251, -74.00551)) == coarsen(GeoPoint(40.71279, -74.00579))


@pytest.mark.parametrize(
    ("publication", "level", "shown"),
    [
        (Publication.PRIVATE, PublishLevel.OPTED_IN, False),
        (Publication.REPORTER, PublishLevel.OPTED_IN, True),
        (Publication.STAFF_APPROVED, PublishLevel.OPTED_IN, True),
        (Publication.STAFF_WITHHELD, PublishLevel.OPTED_IN, False),
        (Publication.REPORTER, PublishLevel.MINIMAL, False),
        (Publication.STAFF_APPROVED, PublishLevel.MINIMAL, False),
        (Publication.PRIVATE, PublishLevel.FULL, True),
        (Publication.STAFF_WITHHELD, PublishLevel.FULL, False),
    ],
)
def test_each_level_publishes_the_free_text_of(
    publication: Publication, level: PublishLevel, shown: bool
) -> None:
    assert may_publish_text(publication, level) is shown


def petition(*, make_public: bool) -> Petition:
    return Petition.submit(
        petition_id="p-1",
        submission=Submission(
            title="noise",
            description="loud music, call me on 212 555 0101",
            location=GeoPoint(40.712776, -74.005974),
            category="nyc.noise_residential",
            address="1 Centre St, apt 4",
            media_url="https://example.org/a.jpg",
            make_public=make_public,
        ),
        reporter=Actor("resident-a", Role.RESIDENT),
        source=Source.RESIDENT,
        at=T0,
    )


def test_a_private_petition_shows_no_free_text_and_a_coarse_point() -> None:
    shown = public_details(petition(make_public=False), PublishLevel.OPTED_IN)

    assert (shown.description, shown.media_url, shown.address) == ("", "", "")
    assert shown.location == GeoPoint(40.713, -74.006)
    assert not shown.text_public


def test_an_opted_in_petition_shows_its_text_redacted_but_not_its_exact_place() -> None:
    shown = public_details(petition(make_public=True), PublishLevel.OPTED_IN)

    assert shown.description == f"loud music, call me on {PHONE}"
    assert shown.media_url == "https://example.org/a.jpg"
    assert shown.address == "" and shown.location == GeoPoint(40.713, -74.006)


def test_the_full_level_shows_every_petition_exactly_still_redacted() -> None:
    shown = public_details(petition(make_public=False), PublishLevel.FULL)

    assert shown.description == f"loud music, call me on {PHONE}"
    assert shown.address == "1 Centre St, apt 4"
    assert shown.location == GeoPoint(40.712776, -74.005974)


def test_staff_approve_or_withhold_and_the_history_says_so() -> None:
    p = petition(make_public=True)
    staff = Actor("worker-7", Role.GRID_WORKER)

    p.set_publication(publish=False, note="names a neighbour", actor=staff, at=T0)
    assert p.publication is Publication.STAFF_WITHHELD and not p.publication.public
    p.set_publication(publish=True, note="", actor=staff, at=T0)
    assert p.publication is Publication.STAFF_APPROVED and p.publication.public
    assert [e.note for e in p.new_history[1:]] == [
        "withheld from publication: names a neighbour",
        "published",
    ]


def test_the_publishing_level_is_a_deployment_setting_defaulting_to_opted_in(
    tmp_path: Path,
) -> None:
    def level(environ: dict[str, str]) -> PublishLevel:
        return PetitionSettings.from_env(Env(environ), tmp_path).open311_publish

    assert level({}) is PublishLevel.OPTED_IN
    assert level({"GRIDPLUS_PETITION_OPEN311_PUBLISH": "full"}) is PublishLevel.FULL
    assert level({"GRIDPLUS_PETITION_OPEN311_PUBLISH": "minimal"}) is PublishLevel.MINIMAL
    with pytest.raises(ConfigError, match="GRIDPLUS_PETITION_OPEN311_PUBLISH"):
        level({"GRIDPLUS_PETITION_OPEN311_PUBLISH": "everything"})
