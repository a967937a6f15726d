"""evaluation: follow-up, scorecards, assessments, stars and the time bank (first slice: counts)."""
