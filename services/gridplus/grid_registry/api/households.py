"""HouseholdService: proto in, use case (handlers/households.py, household_reads.py), proto out
(api/household_convert.py). Who may call what is below; scope inside a role is the domain's
(domain/household_access.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

import grpc

from gridplus.api.grid.v1 import households_pb2, households_pb2_grpc
from gridplus.grid_registry.api import household_convert as convert
from gridplus.grid_registry.domain import household_access as access
from gridplus.grid_registry.handlers import household_reads, households
from gridplus.grid_registry.handlers.households import HouseholdDeps
from gridplus.grid_registry.handlers.snapshots import GridSetSnapshot
from gridplus.kit.auth import current_principal
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.interceptors import AuthPolicy, service_policy
from gridplus.kit.roles import STAFF_ROLES
from gridplus.kit.snapshot import Snapshot

SERVICE_NAME = households_pb2.DESCRIPTOR.services_by_name["HouseholdService"].full_name

POLICY: AuthPolicy = service_policy(
    SERVICE_NAME,
    {
        # The household's grid staff register and change it; admins correct the register.
        "RegisterHousehold": access.CHANGERS,
        "UpdateHousehold": access.CHANGERS,
        "RemoveHousehold": access.CHANGERS,
        # Grid staff and admins in full; inspectors and services masked. Residents and
        # departments have no work with the register: refused whatever the household.
        "GetHousehold": access.READERS,
        "ListHouseholds": access.READERS,
        # The groups and their intervals are configuration, not personal data.
        "ListCareGroups": STAFF_ROLES,
        "ListCareAccessLog": access.LOG_READERS,
    },
)


class HouseholdServicer(households_pb2_grpc.HouseholdServiceServicer):
    def __init__(
        self,
        current: Snapshot[GridSetSnapshot],
        sessions: SessionFactory,
        deps: HouseholdDeps,
        *,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._current = current
        self._sessions = sessions
        self._deps = deps
        # Tells the outbox relay a change committed, so its event goes out now.
        self._wake = wake

    def RegisterHousehold(
        self, request: households_pb2.RegisterHouseholdRequest, context: grpc.ServicerContext
    ) -> households_pb2.RegisterHouseholdResponse:
        snapshot = self._current.get()
        household_id = households.register(
            self._sessions,
            self._deps,
            snapshot,
            current_principal(),
            draft=convert.draft(request.household),
            request_id=request.request_id,
        )
        self._wake()
        return households_pb2.RegisterHouseholdResponse(household=self._read(household_id))

    def UpdateHousehold(
        self, request: households_pb2.UpdateHouseholdRequest, context: grpc.ServicerContext
    ) -> households_pb2.UpdateHouseholdResponse:
        household_id = request.household.household_id
        households.update(
            self._sessions,
            self._deps,
            self._current.get(),
            current_principal(),
            household_id=household_id,
            draft=convert.draft(request.household),
            request_id=request.request_id,
        )
        self._wake()
        return households_pb2.UpdateHouseholdResponse(household=self._read(household_id))

    def RemoveHousehold(
        self, request: households_pb2.RemoveHouseholdRequest, context: grpc.ServicerContext
    ) -> households_pb2.RemoveHouseholdResponse:
        households.remove(
            self._sessions,
            self._deps,
            self._current.get(),
            current_principal(),
            household_id=request.household_id,
            reason=request.reason,
            request_id=request.request_id,
        )
        self._wake()
        return households_pb2.RemoveHouseholdResponse()

    def GetHousehold(
        self, request: households_pb2.GetHouseholdRequest, context: grpc.ServicerContext
    ) -> households_pb2.GetHouseholdResponse:
        with transaction(self._sessions) as session:
            found = household_reads.read(
                session,
                self._deps,
                self._current.get(),
                current_principal(),
                household_id=request.household_id,
                reason=request.reason,
            )
        return households_pb2.GetHouseholdResponse(household=convert.household(found))

    def ListHouseholds(
        self, request: households_pb2.ListHouseholdsRequest, context: grpc.ServicerContext
    ) -> households_pb2.ListHouseholdsResponse:
        with transaction(self._sessions) as session:
            page = household_reads.list_households(
                session,
                self._deps,
                self._current.get(),
                current_principal(),
                grid_code=request.grid_code,
                place_code=request.place_code,
                care_group=request.care_group,
                page_size=request.page_size,
                page_token=request.page_token,
            )
        return households_pb2.ListHouseholdsResponse(
            households=[convert.household(item) for item in page.items],
            next_page_token=page.next_token,
        )

    def ListCareGroups(
        self, request: households_pb2.ListCareGroupsRequest, context: grpc.ServicerContext
    ) -> households_pb2.ListCareGroupsResponse:
        return households_pb2.ListCareGroupsResponse(
            care_groups=[convert.care_group(group) for group in self._deps.care_groups.all()]
        )

    def ListCareAccessLog(
        self, request: households_pb2.ListCareAccessLogRequest, context: grpc.ServicerContext
    ) -> households_pb2.ListCareAccessLogResponse:
        since = request.since.ToDatetime(tzinfo=UTC) if request.HasField("since") else None
        with transaction(self._sessions) as session:
            page = household_reads.access_log(
                session,
                self._current.get(),
                current_principal(),
                grid_code=request.grid_code,
                actor_id=request.actor_id,
                since=since,
                page_size=request.page_size,
                page_token=request.page_token,
            )
        return households_pb2.ListCareAccessLogResponse(
            entries=[convert.access_entry(entry) for entry in page.items],
            next_page_token=page.next_token,
        )

    def _read(self, household_id: str) -> households_pb2.Household:
        """The household as stored now, for the caller who just changed it (no reason asked:
        they wrote it; the change itself is in the outbox and the idempotency record)."""
        with transaction(self._sessions) as session:
            found = households.stored(session, self._deps, household_id)
        return convert.household(found)
