"""evaluation: follow-up (回访), scorecards, assessments, stars and rankings, the time bank."""
