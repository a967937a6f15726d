"""Time-driven loops: follow-up timeouts and the rate gauges."""
