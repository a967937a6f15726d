"""dispatch: routes each petition to its grid and an assignee, and keeps the step deadline
(first slice: routing and the verify-step deadline)."""
