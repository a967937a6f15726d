"""Where each of the five services listens by default: one place for every port."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    package: str  # Python package and database file name, e.g. "grid_registry"
    name: str  # Kubernetes/Helm name, e.g. "grid-registry"
    grpc_port: int
    metrics_port: int

    @property
    def env_prefix(self) -> str:
        return "GRIDPLUS_" + self.package.upper()


SERVICES: dict[str, ServiceSpec] = {
    spec.package: spec
    for spec in (
        ServiceSpec("grid_registry", "grid-registry", 50051, 9101),
        ServiceSpec("petition", "petition", 50052, 9102),
        ServiceSpec("dispatch", "dispatch", 50053, 9103),
        ServiceSpec("notification", "notification", 50054, 9104),
        ServiceSpec("evaluation", "evaluation", 50055, 9105),
    )
}

PETITION_HTTP_PORT = 8080


def events_topic(area: str) -> str:
    """The Kafka topic a service publishes its facts to, e.g. gridplus.petition.events.v1."""
    return f"gridplus.{area}.events.v1"


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"
