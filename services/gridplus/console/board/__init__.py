"""The red-light map board (亮灯): the city's grids drawn from grid-registry's outlines, coloured
by dispatch's red / yellow / green counts, drilled down level 1 → 2 → 3 and into a grid's
overdue petitions, kept live by server-sent events."""

from gridplus.console.board.routes import blueprint

__all__ = ["blueprint"]
