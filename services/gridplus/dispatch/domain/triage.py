"""The triage queue: petitions the classifier was not sure about wait here for a person to choose
their category (a grid chief of their grid, or an admin); routing continues once they have."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridplus.dispatch.domain.places import GridPlace
from gridplus.kit.errors import FailedPrecondition


@dataclass(frozen=True)
class Suggestion:
    """One of the classifier's likeliest categories for a petition in triage, as grid-registry
    names it: a person may take it in one action."""

    code: str
    name_zh: str
    name_en: str
    confidence: float  # the classifier's, 0..1


@dataclass
class TriageItem:
    petition_id: str
    title: str
    description: str
    location: tuple[float, float]  # (lat, lon)
    grid: GridPlace
    best_guess: str  # the classifier's code, empty when it had none
    confidence: float
    sent_at: datetime
    open: bool = True
    # The classifier's likeliest categories the registry knows, best first (none without one).
    suggestions: tuple[Suggestion, ...] = ()

    def take(self) -> None:
        """A person chose the category: the petition leaves the queue (once)."""
        if not self.open:
            raise FailedPrecondition(f"petition {self.petition_id} is not waiting in triage")
        self.open = False
