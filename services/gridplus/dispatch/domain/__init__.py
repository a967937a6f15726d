"""Pure dispatch logic: no I/O."""
