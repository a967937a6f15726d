"""Scorecards, rankings and stars (评星公示) per worker, grid, department and the city, a chart of
a subject over the last periods, and the ranking as a CSV download."""

from gridplus.console.scores.routes import blueprint

__all__ = ["blueprint"]
