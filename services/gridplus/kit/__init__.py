"""The platform kit: everything cross-cutting, written once and used by all five services.

Plumbing only (config, clock, database, migrations, outbox, consumer loop, gRPC bootstrap,
auth, errors, logging, metrics, tracing, lifecycle) — no domain types live here.
"""
