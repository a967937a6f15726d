"""What the public views (Open311 GET) show of a petition, by the deployment's publishing level.

Always: the category, the status, the dates, the agency (department, else the grid) and a point
rounded to 3 decimal places (a cell of about 110 m north-south, 85 m east-west at 40° latitude),
so a petition filed from a home does not show which home. Free text (the description, the
reporter's media link and staff's notes in status_notes) only where the level allows it, and
then with phone numbers, emails and ID numbers redacted:

- `minimal`:  never any free text;
- `opted-in`: (the default) the free text of petitions the reporter chose to publish or staff
  approved (Publication.public);
- `full`:     every petition's free text, its exact point and its address, as a city that
  publishes full 311 data does; staff can still withhold one (STAFF_WITHHELD).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gridplus.petition.domain.petition import Petition
from gridplus.petition.domain.redaction import redact
from gridplus.petition.domain.values import GeoPoint, Publication

COARSE_DECIMALS = 3


class PublishLevel(StrEnum):
    """GRIDPLUS_PETITION_OPEN311_PUBLISH."""

    MINIMAL = "minimal"
    OPTED_IN = "opted-in"
    FULL = "full"


@dataclass(frozen=True)
class PublicDetails:
    """The parts of a petition that may be published; None or "" where they may not."""

    location: GeoPoint
    location_exact: bool  # False: rounded to the ~100 m lattice
    text_public: bool  # the free text below (and staff notes) may be shown
    description: str
    media_url: str
    address: str


def public_details(petition: Petition, level: PublishLevel) -> PublicDetails:
    text_public = may_publish_text(petition.publication, level)
    exact = level is PublishLevel.FULL
    return PublicDetails(
        location=petition.location if exact else coarsen(petition.location),
        location_exact=exact,
        text_public=text_public,
        description=redact(petition.description) if text_public else "",
        media_url=(petition.media_url or "") if text_public else "",
        address=redact(petition.address or "") if text_public and exact else "",
    )


def may_publish_text(publication: Publication, level: PublishLevel) -> bool:
    if level is PublishLevel.MINIMAL or publication is Publication.STAFF_WITHHELD:
        return False
    return level is PublishLevel.FULL or publication.public


def coarsen(point: GeoPoint) -> GeoPoint:
    """The point snapped to a lattice of 0.001°: everyone within the cell shows the same point."""
    return GeoPoint(round(point.lat, COARSE_DECIMALS), round(point.lon, COARSE_DECIMALS))
