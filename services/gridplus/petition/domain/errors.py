"""Named errors of the petition domain."""

from __future__ import annotations

from gridplus.kit.errors import NotFound


class PetitionNotFound(NotFound):
    def __init__(self, petition_id: str) -> None:
        self.petition_id = petition_id
        super().__init__(f"petition {petition_id} not found")
