"""Pure evaluation logic: no I/O."""
