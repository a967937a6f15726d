"""Request ids (`request_id` on every mutating RPC): a retry is applied once.

The same id again from the same caller returns the first answer and changes nothing; the same
id with another body is refused with INVALID_ARGUMENT naming `request_id`. The answer is kept
with the change, in its transaction (the kit's `run_once`, which also settles two concurrent
retries). A stored answer is looked for before anything else, so a retry is answered even when
the first call changed what the caller may now see (a department that transferred an assignment
away no longer sees it)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.dispatch.api import intake
from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.errors import FailedPrecondition, InvalidArgument
from gridplus.kit.idempotency import caller_scope, recall, request_fingerprint, run_once

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

M = TypeVar("M", bound=Message)
REQUEST_ID_MAX = 200
SERVICE = dispatch_pb2.DESCRIPTOR.package

# What a change answers: the response, or a refusal kept as the answer (a triage that could not
# be assigned was still taken out of the queue, and a retry hears the same).
Answer = Message | FailedPrecondition
Apply = Callable[["Session"], Answer]


def request_id(value: str) -> str:
    key = intake.code(value, field="request_id")
    if len(key) > REQUEST_ID_MAX:
        raise InvalidArgument.single("request_id", f"at most {REQUEST_ID_MAX} characters")
    return key


def _body(request: Message) -> dict[str, Any]:
    body = json_format.MessageToDict(request, preserving_proto_field_name=True)
    body.pop("request_id", None)
    return body


def _encode(answer: Answer) -> dict[str, Any]:
    if isinstance(answer, FailedPrecondition):
        return {"failed_precondition": str(answer)}
    return {"response": base64.b64encode(answer.SerializeToString()).decode()}


def _decode(response_type: type[M], stored: dict[str, Any]) -> M:
    if "failed_precondition" in stored:
        raise FailedPrecondition(str(stored["failed_precondition"]))
    return response_type.FromString(base64.b64decode(stored["response"]))


class Once:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def run(
        self,
        method: str,
        request: Message,
        response_type: type[M],
        *,
        subject: str,
        prepare: Callable[[], Apply],
    ) -> M:
        """`prepare` checks and asks what it must before the transaction (grid-registry) and
        returns the change, run once in the transaction that keeps its answer."""
        key = request_id(getattr(request, "request_id", ""))
        scope = caller_scope(f"{SERVICE}.{method}", subject)
        body = _body(request)
        if key:
            with transaction(self._sessions) as session:
                stored = recall(
                    session,
                    scope=scope,
                    key=key,
                    fingerprint=request_fingerprint(body),
                    field="request_id",
                )
            if stored is not None:
                return _decode(response_type, dict(stored))
        apply = prepare()
        answer, _ = run_once(
            self._sessions,
            self._clock,
            scope=scope,
            key=key or None,
            request=body,
            action=lambda session: _encode(apply(session)),
        )
        return _decode(response_type, answer)
