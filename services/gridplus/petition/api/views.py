"""The JSON the resident API answers with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gridplus.petition.domain.petition import HistoryEntry, Petition


def iso(instant: datetime | None) -> str | None:
    """ISO 8601 in UTC with an explicit offset, e.g. 2026-11-28T10:00:00+00:00."""
    return instant.astimezone(UTC).isoformat() if instant is not None else None


def petition_json(petition: Petition) -> dict[str, Any]:
    grid = petition.grid
    return {
        "id": petition.id,
        "status": petition.status.value,
        "title": petition.title,
        "description": petition.description,
        "category": petition.category,
        "location": {"lat": petition.location.lat, "lon": petition.location.lon},
        "grid": (
            {
                "code": grid.code,
                "level": grid.level,
                "path": list(grid.path),
                "grid_set_version": grid.grid_set_version,
            }
            if grid
            else None
        ),
        "assignee_id": petition.assignee_id,
        "deadline": iso(petition.deadline),
        "reject_reason": petition.reject_reason,
        "source": petition.source.value,
        "created_at": iso(petition.created_at),
        "updated_at": iso(petition.updated_at),
    }


def history_json(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "from_status": entry.from_status.value if entry.from_status else None,
        "to_status": entry.to_status.value,
        "actor_id": entry.actor.id,
        "actor_role": entry.actor.role.value,
        "note": entry.note,
        "at": iso(entry.at),
    }
