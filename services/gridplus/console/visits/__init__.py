"""Proactive work (走访连心): the households of a worker's grid (masked; in full only after a
reason, which the registry logs), recording a household visit from a phone (GPS from the
browser or a point on the grid's map, notes, photos, findings that raise petitions), the
worker's diary by day (民情日记), and the care register's due visits by light."""

from gridplus.console.visits.routes import blueprint

__all__ = ["blueprint"]
