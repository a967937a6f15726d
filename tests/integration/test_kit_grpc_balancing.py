"""One kit channel spreads calls over every replica of a service (round robin), keeps working when a
replica stops, uses it again when it is back, and long-lived connections are recycled so new
replicas get traffic: two real kit GrpcServers serving the grid-registry API on loopback, called
through dispatch's own client."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import grpc
import pytest

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.dispatch.clients import GrpcGridDirectory
from gridplus.grid_registry.api.grpc import POLICY, SERVICE_NAME
from gridplus.kit.auth import ServiceToken
from gridplus.kit.config import ConfigError, Env, JwtSettings, service_address
from gridplus.kit.grpc_client import grpc_target, service_channel
from gridplus.kit.grpc_server import GrpcServer
from tests.conftest import JWT_SECRET
from tests.support.eventually import eventually
from tests.support.ports import free_port

JWT = JwtSettings(JWT_SECRET, "gridplus")
GRID = "MN0502"


class Replica(grid_pb2_grpc.GridRegistryServiceServicer):
    """grid-registry's ListMembers on a real kit GrpcServer; records who served which peer."""

    def __init__(self, name: str, port: int, served: Counter[str], peers: list[str]) -> None:
        self.name, self.port = name, port
        self._served, self._peers = served, peers
        self._lock = threading.Lock()
        self._server: GrpcServer | None = None

    def ListMembers(
        self, request: grid_pb2.ListMembersRequest, context: grpc.ServicerContext
    ) -> grid_pb2.ListMembersResponse:
        with self._lock:
            self._served[self.name] += 1
            self._peers.append(context.peer())
        return grid_pb2.ListMembersResponse(
            members=[
                grid_pb2.Member(
                    person_id=f"w-{self.name}",
                    role=grid_pb2.MEMBER_ROLE_GRID_WORKER,
                    grid_code=request.grid_code,
                )
            ]
        )

    def start(self, max_connection_age_seconds: float = 300.0) -> Replica:
        self._server = GrpcServer(
            port=self.port,
            host="127.0.0.1",
            jwt=JWT,
            policy=POLICY,
            registrations=[
                lambda server: grid_pb2_grpc.add_GridRegistryServiceServicer_to_server(self, server)
            ],
            service_names=[SERVICE_NAME],
            max_connection_age_seconds=max_connection_age_seconds,
        )
        self._server.start()
        self._server.set_serving(True)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(0).wait(5)
            self._server = None


@pytest.fixture
def served() -> Counter[str]:
    return Counter()


@pytest.fixture
def replicas(served: Counter[str]) -> Iterator[list[Replica]]:
    made = [Replica(name, free_port(), served, []) for name in ("a", "b")]
    try:
        yield made
    finally:
        for replica in made:
            replica.stop()


def directory_over(ports: list[int]) -> tuple[grpc.Channel, GrpcGridDirectory]:
    """dispatch's grid-registry client on the kit channel, with the address the local stack
    passes for two replicas (GRIDPLUS_GRID_REGISTRY_ADDR=127.0.0.1:p1,127.0.0.1:p2)."""
    env = Env({"GRIDPLUS_GRID_REGISTRY_ADDR": ",".join(f"127.0.0.1:{p}" for p in ports)})
    channel = service_channel(service_address("grid_registry", env), ServiceToken(JWT, "dispatch"))
    return channel, GrpcGridDirectory(channel, timeout=5.0)


def test_one_channel_spreads_calls_over_both_replicas_and_survives_one_stopping(
    replicas: list[Replica], served: Counter[str]
) -> None:
    a, b = (replica.start() for replica in replicas)
    channel, directory = directory_over([a.port, b.port])
    try:
        # Round robin connects to both at once; until both are ready it uses the one that is.
        eventually(
            lambda: directory.members(GRID) and served["a"] and served["b"],
            "both replicas serve calls of one channel",
        )
        before = Counter(served)
        for _ in range(40):
            assert directory.members(GRID)
        after = served - before
        assert after["a"] + after["b"] == 40
        # Both ready: calls alternate (pick-first would send all 40 to one).
        assert after["a"] >= 15 and after["b"] >= 15, after

        a.stop()
        before = Counter(served)
        for _ in range(20):  # none fails: a call that met the closing replica is retried
            assert directory.members(GRID)
        assert (served - before)["b"] == 20

        a.start()  # the replica restarted on its port (kill -9 and restart): used again
        eventually(
            lambda: directory.members(GRID) and served["a"] > before["a"],
            "the restarted replica gets calls again",
        )
    finally:
        channel.close()


def test_a_replica_down_for_a_while_is_used_again_within_seconds_of_its_return(
    replicas: list[Replica], served: Counter[str]
) -> None:
    """gRPC's default reconnect backoff grows to 120 s: a replica down for 20 s (a slow restart)
    would next be tried 6-11 s after it is back, and with few calls it could sit unused for the
    rest of a run (the chaos run saw a restarted grid-registry serve nothing). The kit caps it."""
    a, b = (replica.start() for replica in replicas)
    channel, directory = directory_over([a.port, b.port])
    try:
        eventually(lambda: directory.members(GRID) and served["a"], "a serves calls")
        a.stop()
        outage_ends = time.monotonic() + 20.0
        while time.monotonic() < outage_ends:  # the channel keeps failing to reach a meanwhile
            assert directory.members(GRID)
            time.sleep(0.5)
        before = Counter(served)
        a.start()
        back = time.monotonic()
        eventually(
            lambda: directory.members(GRID) and served["a"] > before["a"],
            "the returned replica gets calls again",
            timeout=30,
        )
        assert time.monotonic() - back < 4.0, "reconnect backoff longer than the kit's cap"
    finally:
        channel.close()


def test_a_replica_that_starts_later_gets_calls(
    replicas: list[Replica], served: Counter[str]
) -> None:
    a, b = replicas
    a.start()
    channel, directory = directory_over([a.port, b.port])
    try:
        for _ in range(5):
            assert directory.members(GRID)
        assert served["b"] == 0
        b.start()
        eventually(
            lambda: directory.members(GRID) and served["b"],
            "the late replica gets calls",
            timeout=30,
        )
    finally:
        channel.close()


def test_a_dns_name_reaches_the_service_through_round_robin(
    replicas: list[Replica], served: Counter[str]
) -> None:
    a = replicas[0].start()
    channel = service_channel(f"localhost:{a.port}", ServiceToken(JWT, "dispatch"))
    try:
        assert GrpcGridDirectory(channel, timeout=5.0).members(GRID)
        assert served["a"] == 1
    finally:
        channel.close()


def test_servers_end_long_lived_connections_so_clients_re_resolve(
    served: Counter[str],
) -> None:
    peers: list[str] = []
    replica = Replica("a", free_port(), served, peers).start(max_connection_age_seconds=0.5)
    channel = service_channel(f"127.0.0.1:{replica.port}", ServiceToken(JWT, "dispatch"))
    directory = GrpcGridDirectory(channel, timeout=5.0)
    try:
        assert directory.members(GRID)
        first = peers[0]
        # The client's end of the connection (its port) changes: the server closed the old one
        # after its maximum age and the channel opened (and resolved) a new one; no call failed.
        eventually(
            lambda: directory.members(GRID) and peers[-1] != first,
            "a new connection after the maximum age",
        )
    finally:
        channel.close()
        replica.stop()


@pytest.mark.parametrize(
    ("address", "target"),
    [
        ("grid-registry:50051", "dns:///grid-registry:50051"),
        (
            "dns:///gridplus-grid-registry-headless.gridplus.svc.cluster.local:50051",
            "dns:///gridplus-grid-registry-headless.gridplus.svc.cluster.local:50051",
        ),
        ("127.0.0.1:50051", "dns:///127.0.0.1:50051"),
        ("127.0.0.1:50051,127.0.0.1:50151", "ipv4:127.0.0.1:50051,127.0.0.1:50151"),
        ("127.0.0.1:1, 127.0.0.2:2", "ipv4:127.0.0.1:1,127.0.0.2:2"),
        ("[::1]:50051,[::1]:50151", "ipv6:[::1]:50051,[::1]:50151"),
        ("ipv4:10.0.0.1:1,10.0.0.2:1", "ipv4:10.0.0.1:1,10.0.0.2:1"),
    ],
)
def test_addresses_become_balanced_targets(address: str, target: str) -> None:
    env = Env({"GRIDPLUS_GRID_REGISTRY_ADDR": address})
    assert grpc_target(service_address("grid_registry", env)) == target


@pytest.mark.parametrize(
    "address",
    [
        "grid-registry",
        "grid-registry:http",
        "a-host:1,b-host:2",  # a list is of IP literals; a name goes alone (DNS has them all)
        "127.0.0.1:1,",
        "::1:5,::1:6",
    ],
)
def test_malformed_addresses_stop_the_service_at_start(address: str) -> None:
    env = Env({"GRIDPLUS_GRID_REGISTRY_ADDR": address})
    with pytest.raises(ConfigError, match="GRIDPLUS_GRID_REGISTRY_ADDR"):
        service_address("grid_registry", env)
    with pytest.raises(ValueError):
        grpc_target(address)


def test_a_list_mixing_ipv4_and_ipv6_is_refused() -> None:
    with pytest.raises(ValueError, match="mixes"):
        grpc_target("127.0.0.1:1,[::1]:2")
