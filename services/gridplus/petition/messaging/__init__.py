"""Events the petition service consumes, and the payloads it publishes."""
