"""A department's first Grid+ client: its overdue petitions, new assignments as they come, and
reports to the whistles that summon it.

    python department_client.py overdue
    python department_client.py watch [--after CHANGE_ID] [--seconds S]
    python department_client.py whistles
    python department_client.py report WHISTLE_ID --note TEXT

Settings from the environment:
    GRIDPLUS_TOKEN          bearer token of the department's staff (required)
    GRIDPLUS_DISPATCH_ADDR  dispatch's gRPC address (default 127.0.0.1:50053)
    GRIDPLUS_TLS            1 to call over TLS (the city's ingress), else plaintext
    GRIDPLUS_PROTOS         the protos/ directory (default: ../../protos from this file)

Prints one JSON object per line on stdout (an assignment, a change, a report), progress and
errors on stderr; exits 1 on a refused call. Needs only grpcio, grpcio-tools and protobuf: the
.proto files are compiled when it starts, as @grpc/proto-loader does for the Node example.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

HERE = Path(__file__).resolve().parent
DISPATCH = "gridplus.dispatch.v1.DispatchService"
PAGE_SIZE = 100


class Service:
    """Calls the methods of one gRPC service by name, with messages built from the .proto files
    at run time (no generated code to keep in step)."""

    def __init__(self, protos: Path, service: str, channel: grpc.Channel, token: str) -> None:
        pool = descriptor_pool.DescriptorPool()
        for proto in _descriptor_set(protos).file:
            pool.Add(proto)
        self._service = pool.FindServiceByName(service)
        self._channel = channel
        self._metadata = [("authorization", f"Bearer {token}")]

    def request(self, method: str, **fields: Any) -> Message:
        """A request message of `method`, with `fields` set."""
        descriptor = self._service.FindMethodByName(method).input_type
        return message_factory.GetMessageClass(descriptor)(**fields)

    def call(self, method: str, request: Message, *, timeout: float | None = 10) -> Any:
        """Calls `method`; a server-streaming method answers an iterator of responses."""
        descriptor = self._service.FindMethodByName(method)
        response = message_factory.GetMessageClass(descriptor.output_type)
        path = f"/{self._service.full_name}/{method}"
        kind = (
            self._channel.unary_stream if descriptor.server_streaming else self._channel.unary_unary
        )
        stub = kind(path, request_serializer=_serialize, response_deserializer=response.FromString)
        return stub(request, metadata=self._metadata, timeout=timeout)


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


def _descriptor_set(protos: Path) -> descriptor_pb2.FileDescriptorSet:
    """Every .proto under `protos`, compiled by grpcio-tools' protoc (with their imports)."""
    files = sorted(p.relative_to(protos).as_posix() for p in protos.rglob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "protos.binpb"
        command = [sys.executable, "-m", "grpc_tools.protoc", f"-I{protos}", "--include_imports"]
        subprocess.run([*command, f"--descriptor_set_out={out}", *files], check=True)
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def assignment_line(assignment: Message) -> dict[str, Any]:
    """The fields a department's tool shows of an assignment (the same as the Node example)."""
    a: Any = assignment
    return {
        "petition_id": a.petition_id,
        "department_code": a.department_code,
        "category": a.category,
        "grid_code": a.grid.code,
        "assignee_id": a.assignee_id,
        "step": a.DESCRIPTOR.fields_by_name["step"].enum_type.values_by_number[a.step].name,
        "deadline": a.deadline.ToJsonString(),
        "light": a.DESCRIPTOR.fields_by_name["light"].enum_type.values_by_number[a.light].name,
    }


def emit(line: dict[str, Any]) -> None:
    print(json.dumps(line, ensure_ascii=False), flush=True)


def overdue(dispatch: Service) -> None:
    """Every overdue assignment of the caller's department, most overdue first, page by page."""
    token = ""
    while True:
        request = dispatch.request("ListOverdue", page_size=PAGE_SIZE, page_token=token)
        page = dispatch.call("ListOverdue", request)
        for assignment in page.assignments:
            emit(assignment_line(assignment))
        token = page.next_page_token
        if not token:
            return


def watch(dispatch: Service, after: int, seconds: float | None) -> None:
    """New and changed assignments of the caller's department as they are committed. Resumes
    after `after` (the last change_id printed) so a restart misses nothing; stops on Ctrl-C or
    SIGTERM, or after `seconds`."""
    request = dispatch.request("WatchAssignments", after_change_id=after)
    stream = dispatch.call("WatchAssignments", request, timeout=seconds)
    signal.signal(signal.SIGTERM, lambda *_: stream.cancel())
    print(f"watching assignments after change {after or 'now'}", file=sys.stderr, flush=True)
    try:
        for change in stream:
            emit(
                {"change_id": change.change_id, "closed": change.closed}
                | assignment_line(change.assignment)
            )
    except grpc.RpcError as error:
        if error.code() not in (grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise


def whistles(dispatch: Service) -> None:
    """The whistles summoning the caller's department on which a report is still owed (by it or
    by another summoned department), newest first, each with every department's obligation."""
    request = dispatch.request("ListWhistles", open_only=True, page_size=PAGE_SIZE)
    for whistle in dispatch.call("ListWhistles", request).whistles:
        emit(
            {
                "whistle_id": whistle.whistle_id,
                "petition_id": whistle.petition_id,
                "reason": whistle.reason,
                "blown_at": whistle.blown_at.ToJsonString(),
                "reports": [
                    {
                        "department_code": owed.department_code,
                        "deadline": owed.deadline.ToJsonString(),
                        "reported_at": (
                            owed.reported_at.ToJsonString() if owed.HasField("reported_at") else ""
                        ),
                    }
                    for owed in whistle.reports
                ],
            }
        )


def report(dispatch: Service, whistle_id: str, note: str) -> None:
    """Reports (报到) the caller's department to a whistle that summoned it; retried safely."""
    request_id = str(uuid.uuid4())  # the same id on a retry: the report is recorded once
    request = dispatch.request(
        "ReportToWhistle", whistle_id=whistle_id, note=note, request_id=request_id
    )
    answer = _with_retries(lambda: dispatch.call("ReportToWhistle", request))
    whistle = answer.whistle
    for owed in whistle.reports:
        if owed.HasField("reported_at"):
            emit(
                {
                    "whistle_id": whistle.whistle_id,
                    "petition_id": whistle.petition_id,
                    "department_code": owed.department_code,
                    "reported_at": owed.reported_at.ToJsonString(),
                    "deadline": owed.deadline.ToJsonString(),
                    "on_time": answer.on_time,
                }
            )


def _with_retries(call: Any, attempts: int = 3) -> Any:
    """Calls again when the service was briefly unavailable (the request_id makes it safe)."""
    for attempt in range(attempts):
        try:
            return call()
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE or attempt == attempts - 1:
                raise
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def connect() -> tuple[grpc.Channel, str]:
    token = os.environ.get("GRIDPLUS_TOKEN", "")
    if not token:
        sys.exit("GRIDPLUS_TOKEN is not set: the department's bearer token")
    address = os.environ.get("GRIDPLUS_DISPATCH_ADDR", "127.0.0.1:50053")
    if os.environ.get("GRIDPLUS_TLS") == "1":
        return grpc.secure_channel(address, grpc.ssl_channel_credentials()), token
    return grpc.insecure_channel(address), token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("overdue", help="list my department's overdue assignments")
    watching = commands.add_parser("watch", help="stream my department's assignment changes")
    watching.add_argument("--after", type=int, default=0, help="resume after this change_id")
    watching.add_argument("--seconds", type=float, help="stop after this many seconds")
    commands.add_parser("whistles", help="list the whistles summoning my department")
    reporting = commands.add_parser("report", help="report my department to a whistle")
    reporting.add_argument("whistle_id")
    reporting.add_argument("--note", required=True, help="what the department does about it")
    args = parser.parse_args(argv)
    channel, token = connect()
    protos = Path(os.environ.get("GRIDPLUS_PROTOS", HERE.parent.parent / "protos"))
    dispatch = Service(protos, DISPATCH, channel, token)
    try:
        if args.command == "overdue":
            overdue(dispatch)
        elif args.command == "watch":
            watch(dispatch, args.after, args.seconds)
        elif args.command == "whistles":
            whistles(dispatch)
        else:
            report(dispatch, args.whistle_id, args.note)
    except grpc.RpcError as error:
        print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
