"""Time-driven loops: the deadline scanner (breaches, escalations, late whistle reports) and the
light board (`deadlines.py`)."""
