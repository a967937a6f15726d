"""Scorecards, rankings and stars (评星公示) per worker, grid, department and the city, a chart of
a subject over the last periods, the ranking as a CSV download (with households visited and care
visits on time), and a grid chief's weekly digest of their grids."""

from gridplus.console.scores.routes import blueprint

__all__ = ["blueprint"]
