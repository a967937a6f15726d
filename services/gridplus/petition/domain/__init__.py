"""The petition lifecycle as pure code: no I/O, no framework."""
