"""petition: intake of petitions (诉求), their lifecycle and history, the resident HTTP API."""
