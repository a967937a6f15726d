"""Who may call which DispatchService method (the kit's auth interceptor checks the role; the
handlers then check scope on every call)."""

from __future__ import annotations

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.dispatch.api import watch
from gridplus.dispatch.domain.access import DEPARTMENT_ROLES
from gridplus.dispatch.handlers.whistles import WHISTLE_BLOWERS
from gridplus.kit.interceptors import AuthPolicy, service_policy
from gridplus.kit.roles import STAFF_ROLES, Role

SERVICE_NAME = dispatch_pb2.DESCRIPTOR.services_by_name["DispatchService"].full_name

# Who may choose a category in triage: grid chiefs (of the petition's grid) and admins. Not
# department heads: a petition in triage has no category yet, so no department holds it.
TRIAGE_ROLES = frozenset({Role.GRID_CHIEF, Role.ADMIN})
CLOCK_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.DEPARTMENT_STAFF, Role.ADMIN})
TRANSFER_ROLES = frozenset(
    {Role.GRID_WORKER, Role.GRID_CHIEF, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD, Role.ADMIN}
)
WHISTLE_ROLES = WHISTLE_BLOWERS

POLICY: AuthPolicy = service_policy(
    SERVICE_NAME,
    {
        "GetAssignment": STAFF_ROLES,
        "ListAssignments": STAFF_ROLES,
        "ListOverdue": STAFF_ROLES,
        "PauseClock": CLOCK_ROLES,
        "ResumeClock": CLOCK_ROLES,
        "ListTriage": TRIAGE_ROLES,
        "SetTriageCategory": TRIAGE_ROLES,
        "AcceptAssignment": STAFF_ROLES - {Role.INSPECTOR, Role.SERVICE},
        "TransferAssignment": TRANSFER_ROLES,
        "RefuseAssignment": DEPARTMENT_ROLES,
        "BlowWhistle": WHISTLE_ROLES,
        "ReportToWhistle": DEPARTMENT_ROLES,
        "WatchAssignments": watch.WATCH_ROLES,
        # The map board: counts within the caller's scope, as ListOverdue lists them.
        "CountLights": STAFF_ROLES,
        # Scoped as the assignments are: a department sees the whistles summoning it.
        "ListWhistles": STAFF_ROLES,
    },
)
