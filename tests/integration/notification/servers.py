"""Real servers on loopback for notification's channels and dependencies: an SMTP server
(aiosmtpd), webhook receivers that verify signatures, an HTTP SMS gateway, and grid-registry and
petition gRPC servers serving the proto contracts from in-memory data."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import grpc
from aiosmtpd.controller import Controller

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.auth import ALL_ROLES, Role
from gridplus.kit.clock import Clock
from gridplus.kit.interceptors import service_policy
from gridplus.notification.channels.signing import (
    InvalidSignature,
    RepeatedDelivery,
    WebhookVerifier,
)
from tests.support.ports import free_port, wait_for_port

# -- SMTP ------------------------------------------------------------------------------------

# aiosmtpd logs every connection at INFO from its own thread, which can outlive pytest's captured
# stream and print "--- Logging error ---" noise into the CI log.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class SmtpSink:
    """A real SMTP server (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


# -- HTTP receivers --------------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """An HTTP server on a fixed loopback port that can go down and come back on that port."""

    port: int = field(default_factory=free_port)
    status: int = 200
    received: list[Received] = field(default_factory=list)
    # Every request line's method and path, whatever it was (redirect tests look for a GET).
    requests: list[str] = field(default_factory=list)
    location: str = ""  # sent as Location when set (with status 3xx: a redirect)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/gridplus"

    def accept(self, headers: dict[str, str], body: bytes) -> int:
        return self.status

    def start(self) -> Self:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.requests.append(f"POST {self.path}")
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = dict(self.headers.items())
                status = receiver.accept(headers, body)
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                receiver.requests.append(f"GET {self.path}")
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class WebhookReceiver(HttpReceiver):
    """Verifies each POST as a subscriber would; keeps the accepted ones and counts the rest."""

    def __init__(self, clock: Clock, port: int | None = None) -> None:
        super().__init__(port=port or free_port())
        self.secret = ""
        self.clock = clock
        self.refused: list[str] = []
        self.repeats = 0
        self._verifier: WebhookVerifier | None = None

    def accept(self, headers: dict[str, str], body: bytes) -> int:
        if self._verifier is None:
            self._verifier = WebhookVerifier(self.secret, clock=self.clock)
        try:
            self._verifier.verify(headers, body)
        except RepeatedDelivery:
            self.repeats += 1
            return 200
        except InvalidSignature as exc:
            self.refused.append(str(exc))
            return 401
        self.received.append(Received({k.lower(): v for k, v in headers.items()}, body))
        return self.status


class SmsGateway(HttpReceiver):
    """The provider-agnostic SMS gateway: bearer token, JSON {to, text, reference}."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def accept(self, headers: dict[str, str], body: bytes) -> int:
        if {k.lower(): v for k, v in headers.items()}.get(
            "authorization"
        ) != f"Bearer {self.token}":
            return 401
        self.received.append(Received({k.lower(): v for k, v in headers.items()}, body))
        return 202


# -- gRPC contract servers -------------------------------------------------------------------


@dataclass
class Org:
    """Grids (code -> parent) and members, as grid-registry would hold them."""

    parents: dict[str, str]
    members: list[grid_pb2.Member]
    departments: list[grid_pb2.Department] = field(default_factory=list)
    reporters: dict[str, list[petition_pb2.ReporterContact]] = field(default_factory=dict)
    # The grid-set version every answer names; an import (or membership change) makes a new one.
    version: int = 1

    def path(self, code: str) -> list[str]:
        path = [code]
        while self.parents.get(path[0]):
            path.insert(0, self.parents[path[0]])
        return path

    def grid(self, code: str) -> grid_pb2.Grid:
        path = self.path(code)
        return grid_pb2.Grid(
            code=code,
            name=code,
            level=len(path),
            parent_code=self.parents[code],
            path=path,
            grid_set_version=self.version,
        )


class ContractGridRegistry(grid_pb2_grpc.GridRegistryServiceServicer):
    def __init__(self, org: Org) -> None:
        self.org = org
        self.calls: list[str] = []
        self.unavailable = 0  # the next GetChain calls answered UNAVAILABLE (an outage)

    def GetChain(self, request: grid_pb2.GetChainRequest, context: grpc.ServicerContext) -> Any:
        self.calls.append("GetChain")
        if self.unavailable > 0:
            self.unavailable -= 1
            context.abort(grpc.StatusCode.UNAVAILABLE, "grid-registry is restarting")
        if request.grid_code not in self.org.parents:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such grid")
        levels = [
            grid_pb2.ChainLevel(
                grid=self.org.grid(code),
                members=[m for m in self.org.members if m.grid_code == code],
            )
            for code in self.org.path(request.grid_code)
        ]
        return grid_pb2.GetChainResponse(levels=levels)

    def ListDepartments(self, request: Any, context: grpc.ServicerContext) -> Any:
        return grid_pb2.ListDepartmentsResponse(departments=self.org.departments)

    def GetGrid(self, request: grid_pb2.GetGridRequest, context: grpc.ServicerContext) -> Any:
        if request.code not in self.org.parents:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such grid")
        return grid_pb2.GetGridResponse(grid=self.org.grid(request.code))

    def ListGrids(self, request: grid_pb2.ListGridsRequest, context: grpc.ServicerContext) -> Any:
        children = [c for c, p in self.org.parents.items() if p == request.parent_code]
        return grid_pb2.ListGridsResponse(grids=[self.org.grid(c) for c in sorted(children)])

    def ListMembers(
        self, request: grid_pb2.ListMembersRequest, context: grpc.ServicerContext
    ) -> Any:
        found = [m for m in self.org.members if m.grid_code == request.grid_code]
        return grid_pb2.ListMembersResponse(members=found)


class ContractPetition(petition_pb2_grpc.PetitionServiceServicer):
    """`batch=False` stands for an older petition without BatchGetReporterContacts."""

    def __init__(self, org: Org, *, batch: bool = True) -> None:
        self.org = org
        self.batch = batch
        self.calls: Counter[str] = Counter()

    def GetReporterContacts(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.calls["GetReporterContacts"] += 1
        contacts = self.org.reporters.get(request.petition_id, [])
        return petition_pb2.GetReporterContactsResponse(contacts=contacts)

    def BatchGetReporterContacts(self, request: Any, context: grpc.ServicerContext) -> Any:
        if not self.batch:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not implemented!")
        self.calls["BatchGetReporterContacts"] += 1
        found = [
            petition_pb2.PetitionReporterContacts(
                petition_id=petition_id, contacts=self.org.reporters[petition_id]
            )
            for petition_id in dict.fromkeys(request.petition_ids)
            if petition_id in self.org.reporters
        ]
        return petition_pb2.BatchGetReporterContactsResponse(petitions=found)


GRID_SERVICE = grid_pb2.DESCRIPTOR.services_by_name["GridRegistryService"].full_name
PETITION_SERVICE = petition_pb2.DESCRIPTOR.services_by_name["PetitionService"].full_name
GRID_POLICY = service_policy(
    GRID_SERVICE,
    dict.fromkeys(
        ["GetChain", "ListDepartments", "GetGrid", "ListGrids", "ListMembers"], ALL_ROLES
    ),
)
# Reporters' contacts are personal data: only Grid+ services may ask (the adapter's token).
PETITION_POLICY = service_policy(
    PETITION_SERVICE,
    dict.fromkeys(["GetReporterContacts", "BatchGetReporterContacts"], frozenset({Role.SERVICE})),
)
