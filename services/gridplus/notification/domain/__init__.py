"""Pure notification logic: no I/O."""
