"""The weekly digest panel (周报) of a chief's grids on the scores page: evaluation's
GetGridDigest for each grid of the chief's token, last complete week. A grid evaluation refuses
shows its refusal in its place; the rest of the page stays."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from gridplus.api.evaluation.v1 import evaluation_pb2 as pb
from gridplus.api.events.v1 import events_pb2
from gridplus.console.grpc_calls import CallRefusal, ServiceStubs, refusal_of
from gridplus.console.session import ConsoleUser
from gridplus.kit.roles import Role

MAX_GRIDS = 5  # a chief leads one grid, now and then a few: the panel stays short


@dataclass(frozen=True)
class Digest:
    grid_code: str
    digest: events_pb2.GridDigestReady | None
    refused: CallRefusal | None = None

    @property
    def on_time_text(self) -> str:
        """Care visits on time in percent; "—" when none fell due (-1 in the digest)."""
        if self.digest is None or self.digest.care_visits_on_time < 0:
            return "—"
        return f"{round(self.digest.care_visits_on_time * 100, 1)} %"

    @property
    def coverage_text(self) -> str:
        return "—" if self.digest is None else f"{round(self.digest.visit_coverage * 100, 1)} %"


def chief_digests(calls: ServiceStubs, user: ConsoleUser) -> list[Digest]:
    """The last complete week's digest of each of a grid chief's grids (none for other roles)."""
    if user.role is not Role.GRID_CHIEF:
        return []
    codes = list(user.principal.grid_codes)[:MAX_GRIDS]
    futures = [
        calls.evaluation.GetGridDigest.future(pb.GetGridDigestRequest(grid_code=code))
        for code in codes
    ]
    found = []
    for code, future in zip(codes, futures, strict=True):
        try:
            found.append(Digest(code, future.result().digest))
        except grpc.RpcError as error:
            found.append(Digest(code, None, refusal_of(error)))
    return found
