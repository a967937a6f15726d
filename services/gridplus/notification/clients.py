"""The gRPC adapter of the recipient directory: grid-registry for chains, departments and grid
subtrees; petition for reporters' contacts (a service-role call)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import grpc

from gridplus.api.grid.v1 import grid_pb2, grid_pb2_grpc
from gridplus.api.petition.v1 import petition_pb2, petition_pb2_grpc
from gridplus.kit.cache import TtlCache
from gridplus.kit.grpc_client import DEFAULT_DEADLINE_SECONDS
from gridplus.notification.domain.audience import Member
from gridplus.notification.domain.notices import Recipient
from gridplus.notification.ports import RecipientDirectory, Subtree

log = logging.getLogger(__name__)

_ROLE_PREFIX = "MEMBER_ROLE_"
DEPARTMENTS_TTL_SECONDS = 60.0
MAX_SUBTREE_GRIDS = 10_000
MAX_REPORTER_BATCH = 500  # petition's BatchGetReporterContacts bound


class GrpcDirectory(RecipientDirectory):
    def __init__(
        self,
        grid_registry: grpc.Channel,
        petition: grpc.Channel,
        *,
        deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
    ) -> None:
        self._grids = grid_pb2_grpc.GridRegistryServiceStub(grid_registry)
        self._petitions = petition_pb2_grpc.PetitionServiceStub(petition)
        self._deadline = deadline_seconds
        # Departments change rarely and every whistle asks: keep the answer a minute.
        self._heads: TtlCache[dict[str, str]] = TtlCache(DEPARTMENTS_TTL_SECONDS)
        self._batch_reporters = True  # until petition answers UNIMPLEMENTED (an older one)

    def chain(self, grid_code: str) -> list[Member]:
        return self.versioned_chain(grid_code)[0]

    def versioned_chain(self, grid_code: str) -> tuple[list[Member], int]:
        """The chain and the grid-set version its grids name (0 when none answered: handlers/
        grid_cache.py keeps only what a version answered)."""
        try:
            response = self._grids.GetChain(
                grid_pb2.GetChainRequest(grid_code=grid_code), timeout=self._deadline
            )
        except grpc.RpcError as exc:
            code = exc.code()  # type: ignore[attr-defined]
            if code == grpc.StatusCode.NOT_FOUND:
                return [], 0
            if code == grpc.StatusCode.UNIMPLEMENTED:
                # An older grid-registry: people still get their inbox, by id, without contacts.
                log.warning("grid-registry cannot give chains yet", extra={"grid_code": grid_code})
                return [], 0
            raise
        levels = response.levels
        # Every level is read from one snapshot; a chain naming two versions is not kept.
        versions = {level.grid.grid_set_version for level in levels}
        version = versions.pop() if len(versions) == 1 else 0
        return [member_of(m) for level in levels for m in level.members], version

    def department_heads(self) -> dict[str, str]:
        return dict(self._heads.get("heads", self._load_heads))

    def _load_heads(self) -> dict[str, str]:
        try:
            response = self._grids.ListDepartments(
                grid_pb2.ListDepartmentsRequest(), timeout=self._deadline
            )
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:  # type: ignore[attr-defined]
                raise
            log.warning("grid-registry cannot list departments yet")
            return {}
        return {d.code: d.head_person_id for d in response.departments if d.head_person_id}

    def reporters(self, petition_id: str) -> list[tuple[Recipient, bool]]:
        try:
            response = self._petitions.GetReporterContacts(
                petition_pb2.GetReporterContactsRequest(petition_id=petition_id),
                timeout=self._deadline,
            )
        except grpc.RpcError as exc:
            code = exc.code()  # type: ignore[attr-defined]
            if code == grpc.StatusCode.NOT_FOUND:
                return []
            if code == grpc.StatusCode.UNIMPLEMENTED:
                # An older petition service: residents are not told, staff still are.
                log.warning(
                    "petition cannot resolve reporters yet", extra={"petition_id": petition_id}
                )
                return []
            raise
        return _reporters(response.contacts)

    def reporters_of(self, petition_ids: Sequence[str]) -> dict[str, list[tuple[Recipient, bool]]]:
        if not petition_ids:
            return {}
        if not self._batch_reporters:
            return super().reporters_of(petition_ids)
        found: dict[str, list[tuple[Recipient, bool]]] = {p: [] for p in petition_ids}
        ids = list(dict.fromkeys(petition_ids))
        for start in range(0, len(ids), MAX_REPORTER_BATCH):
            try:
                response = self._petitions.BatchGetReporterContacts(
                    petition_pb2.BatchGetReporterContactsRequest(
                        petition_ids=ids[start : start + MAX_REPORTER_BATCH]
                    ),
                    timeout=self._deadline,
                )
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.UNIMPLEMENTED:  # type: ignore[attr-defined]
                    raise
                log.warning("petition cannot answer reporters in batches yet; one call each")
                self._batch_reporters = False
                return super().reporters_of(petition_ids)
            for petition in response.petitions:
                found[petition.petition_id] = _reporters(petition.contacts)
        return found

    def subtree(self, grid_code: str) -> Subtree | None:
        try:
            root = self._grids.GetGrid(
                grid_pb2.GetGridRequest(code=grid_code), timeout=self._deadline
            ).grid
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:  # type: ignore[attr-defined]
                return None
            raise
        members: list[Member] = []
        pending, seen = [root.code], {root.code}
        while pending:
            code = pending.pop()
            listed = self._grids.ListMembers(
                grid_pb2.ListMembersRequest(grid_code=code), timeout=self._deadline
            )
            members.extend(member_of(m) for m in listed.members)
            for child in self._children(code):
                if child not in seen and len(seen) < MAX_SUBTREE_GRIDS:
                    seen.add(child)
                    pending.append(child)
        return Subtree(root.code, tuple(root.path) or (root.code,), tuple(members))

    def _children(self, grid_code: str) -> list[str]:
        codes: list[str] = []
        token = ""
        while True:
            page = self._grids.ListGrids(
                grid_pb2.ListGridsRequest(parent_code=grid_code, page_size=500, page_token=token),
                timeout=self._deadline,
            )
            codes.extend(grid.code for grid in page.grids)
            token = page.next_page_token
            if not token:
                return codes


def member_of(member: grid_pb2.Member) -> Member:
    role = grid_pb2.MemberRole.Name(member.role).removeprefix(_ROLE_PREFIX).lower()
    return Member(
        person_id=member.person_id,
        grid_code=member.grid_code,
        role=role,
        department_code=member.department_code,
        email=member.email,
        phone=member.phone,
        language=member.language,
    )


def _reporters(contacts: Iterable[petition_pb2.ReporterContact]) -> list[tuple[Recipient, bool]]:
    return [
        (
            Recipient(c.reporter_id, email=c.email, phone=c.phone, language=c.language),
            c.via_duplicate,
        )
        for c in contacts
        if c.reporter_id
    ]
