"""notification: what each person has been told (first slice: the in-app inbox)."""
