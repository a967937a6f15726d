"""The triage queue: petitions the classifier was unsure of, with its likeliest categories; a chief
or an admin sets the category in one action (a suggestion, or one found by search) and dispatch
routes the petition on."""

from gridplus.console.triage.routes import blueprint

__all__ = ["blueprint"]
