"""Developer tooling: code generation, the local stack, the broker script."""
