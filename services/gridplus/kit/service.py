"""The common shape of a service process: settings, logging, tracing, database, outbox relay,
consumers, gRPC server and lifecycle, wired the same way for all five.

A service's __main__ builds a `ServiceApp`, adds its servicer and its event handlers, and calls
`main()`; `python -m gridplus.<service> migrate` only migrates, `serve` (the default) runs.
"""

from __future__ import annotations

import argparse
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import grpc
from kafka import KafkaConsumer, KafkaProducer

from gridplus.kit import kafka
from gridplus.kit.auth import Role, ServiceToken
from gridplus.kit.batch import DEFAULT_MAX_BATCH
from gridplus.kit.clock import Clock, SystemClock
from gridplus.kit.config import Env, ServiceSettings, service_address
from gridplus.kit.consumer import DEFAULT_IDLE_PAUSE, EventConsumer, EventHandler, IdlePause
from gridplus.kit.db import create_database_engine, create_session_factory
from gridplus.kit.grpc_client import service_channel
from gridplus.kit.grpc_server import GrpcServer, Registration
from gridplus.kit.interceptors import AuthPolicy
from gridplus.kit.logging import configure_logging
from gridplus.kit.metrics import serve_metrics
from gridplus.kit.migrations import migrate
from gridplus.kit.outbox import Outbox, OutboxRelay
from gridplus.kit.runner import Loop, ServiceRunner
from gridplus.kit.topology import dlq_topic, events_topic
from gridplus.kit.tracing import configure_tracing

log = logging.getLogger(__name__)


class ServiceApp:
    def __init__(
        self,
        package: str,
        *,
        area: str,
        migrations: Path,
        env: Env | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.env = env or Env()
        self.settings = ServiceSettings.from_env(package, self.env)
        self.clock = clock or SystemClock()
        name = self.settings.spec.name
        configure_logging(name, self.settings.log_level)
        configure_tracing(name)
        self.engine = create_database_engine(self.settings.database_url)
        self.sessions = create_session_factory(self.engine)
        self.topic = events_topic(area)
        self.outbox = Outbox(topic=self.topic, source=f"/gridplus/{name}", clock=self.clock)
        self.relay = OutboxRelay(
            self.engine,
            self.sessions,
            self._producer,
            self.clock,
            name=f"outbox-relay:{name}",
            lease_seconds=self.env.number("GRIDPLUS_RELAY_LEASE_SECONDS", 10.0, minimum=1.0),
            give_up_seconds=self.env.number("GRIDPLUS_RELAY_GIVE_UP_SECONDS", 30.0, minimum=1.0),
        )
        self.token = ServiceToken(self.settings.jwt, name)
        self.runner = ServiceRunner(name, self.settings.shutdown_grace_seconds)
        self._migrations = migrations
        self._channels: dict[str, grpc.Channel] = {}
        self._registrations: list[Registration] = []
        self._service_names: list[str] = []
        self._policy: dict[str, frozenset[Role]] = {}
        self._topics = [self.topic, dlq_topic(self.topic)]
        self._ready: list[Callable[[], None]] = []
        self._topics_ready = threading.Event()
        self._commands: dict[str, Callable[[], None]] = {
            "serve": self.serve,
            "migrate": self.migrate,
        }

    # -- building ---------------------------------------------------------------------------

    def channel(self, package: str) -> grpc.Channel:
        """A channel to another service's gRPC API, carrying this service's own token."""
        if package not in self._channels:
            self._channels[package] = service_channel(
                service_address(package, self.env), self.token
            )
        return self._channels[package]

    def grpc_api(self, register: Registration, service_name: str, policy: AuthPolicy) -> None:
        self._registrations.append(register)
        self._service_names.append(service_name)
        self._policy.update(policy)

    def consume(
        self,
        topics: Sequence[str],
        handlers: Mapping[str, EventHandler],
        *,
        name: str = "",
        idle_pause: IdlePause = DEFAULT_IDLE_PAUSE,
    ) -> EventConsumer:
        """`idle_pause`: how soon a caught-up consumer looks again (GRIDPLUS_CONSUMER_FIRST_IDLE_
        PAUSE_MS, GRIDPLUS_CONSUMER_MAX_IDLE_PAUSE_MS and GRIDPLUS_CONSUMER_AFTER_BATCH_PAUSE_MS
        override it)."""
        group = name or self.settings.spec.name
        self._topics += [t for topic in topics for t in (topic, dlq_topic(topic))]
        consumer = EventConsumer(
            name=group,
            topics=list(topics),
            handlers=handlers,
            sessions=self.sessions,
            consumer_factory=lambda: self._consumer(group),
            producer_factory=self._producer,
            clock=self.clock,
            after_commit=self.relay.wake,
            max_batch=self.env.integer("GRIDPLUS_CONSUMER_MAX_BATCH", DEFAULT_MAX_BATCH, minimum=1),
            idle_pause=IdlePause(
                first=self._milliseconds("GRIDPLUS_CONSUMER_FIRST_IDLE_PAUSE_MS", idle_pause.first),
                most=self._milliseconds("GRIDPLUS_CONSUMER_MAX_IDLE_PAUSE_MS", idle_pause.most),
                after_batch=self._milliseconds(
                    "GRIDPLUS_CONSUMER_AFTER_BATCH_PAUSE_MS", idle_pause.after_batch, minimum=0
                ),
            ),
        )
        self.runner.add_loop(f"consumer-{group}", consumer.run)
        return consumer

    def _milliseconds(self, name: str, default_seconds: float, minimum: float = 1) -> float:
        return self.env.number(name, default_seconds * 1e3, minimum=minimum) / 1e3

    def add_loop(self, name: str, loop: Loop) -> None:
        self.runner.add_loop(name, loop)

    def when_ready(self, callback: Callable[[], None]) -> None:
        self._ready.append(callback)

    def command(self, name: str, run: Callable[[], None]) -> None:
        """An operator command beside serve and migrate, e.g. grid-registry's load-demo."""
        self._commands[name] = run

    # -- running ----------------------------------------------------------------------------

    def migrate(self) -> None:
        migrate(self.engine, self._migrations)
        log.info("database migrated")

    def serve(self) -> None:
        if self.env.flag("GRIDPLUS_MIGRATE_ON_START", True):
            self.migrate()
        serve_metrics(self.settings.metrics_port)
        server = GrpcServer(
            port=self.settings.grpc_port,
            jwt=self.settings.jwt,
            policy=self._policy,
            registrations=self._registrations,
            service_names=self._service_names,
        )
        self.runner.add_loop("outbox-relay", self.relay.run)
        self.runner.on_stop(self.engine.dispose)
        self.runner.run(server, ready=self._announce_ready)

    def main(self, argv: Sequence[str] | None = None) -> None:
        parser = argparse.ArgumentParser(prog=f"python -m gridplus.{self.settings.spec.package}")
        parser.add_argument("command", nargs="?", default="serve", choices=sorted(self._commands))
        args = parser.parse_args(argv)
        self._commands[args.command]()

    def _announce_ready(self) -> None:
        for callback in self._ready:
            callback()

    # -- Kafka clients ----------------------------------------------------------------------

    def _producer(self) -> KafkaProducer:
        self._ensure_topics()
        return kafka.create_producer(self.settings.kafka, self.settings.spec.name)

    def _consumer(self, group: str) -> KafkaConsumer:
        self._ensure_topics()
        return kafka.create_consumer(self.settings.kafka, group, self.settings.spec.name)

    def _ensure_topics(self) -> None:
        # Called from the relay and consumer threads when they (re)connect: the broker may be
        # down at start-up, and intake must not wait for it.
        if not self._topics_ready.is_set():
            kafka.ensure_topics(self.settings.kafka, sorted(set(self._topics)))
            self._topics_ready.set()
