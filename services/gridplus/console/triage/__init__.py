"""The triage queue: petitions the classifier was unsure of, with its suggestion; a chief or an
admin sets the category in one action and dispatch routes the petition on."""

from gridplus.console.triage.routes import blueprint

__all__ = ["blueprint"]
