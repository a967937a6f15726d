"""The weekly digest as protobuf: GridDigestReady (the event, and GetGridDigest's answer)."""

from __future__ import annotations

from gridplus.api.events.v1 import events_pb2
from gridplus.evaluation.domain.digest import GridDigest


def digest_payload(found: GridDigest) -> events_pb2.GridDigestReady:
    message = events_pb2.GridDigestReady(
        grid_code=found.grid_code,
        petitions_submitted=found.submitted,
        petitions_closed=found.closed,
        top_categories=[
            events_pb2.DigestCategoryCount(
                category=c.category, count=c.count, previous_count=c.previous, rising=c.rising
            )
            for c in found.top_categories
        ],
        repeat_locations=found.repeat_locations,
        visit_coverage=found.visit_coverage,
        care_visits_on_time=found.care_on_time,
        care_visits_overdue=found.care_overdue,
    )
    message.period_start.FromDatetime(found.week.start_at)
    message.period_end.FromDatetime(found.week.end_at)
    return message
