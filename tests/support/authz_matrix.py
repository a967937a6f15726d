"""The authorization matrix: every role against every gRPC method and HTTP route, as the code
enforces it. One table, two uses: `docs/authorization.md` is rendered from it
(`python -m tests.support.authz_matrix > docs/authorization.md`), and
tests/e2e/test_authorization_matrix.py drives every cell against the running services and checks
that the document is the rendering of this table, so the two cannot drift.

A cell says what the role may do:
- `all`: allowed on every object;
- `grid`: allowed inside the grid subtrees on the token (claim `grids`), plus what the caller
  reported or is assigned;
- `dept`: allowed on what the department on the token (claim `department`) holds;
- `own`: allowed on the caller's own things only (their petitions, inbox, account);
- `public`: no token needed;
- `-`: refused whatever the object: PERMISSION_DENIED (HTTP 403).

An operation's `outside` says how a scoped role is answered about something outside its scope:
`NOT_FOUND` for an object named by id (OWASP API1: the answer must not tell that it exists),
`hidden` for a list or stream (the object is left out), `PERMISSION_DENIED` when the caller names
another scope in a parameter (another person's inbox, another grid's scorecard).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from gridplus.kit.roles import Role

ROLES: tuple[Role, ...] = (
    Role.RESIDENT,
    Role.GRID_WORKER,
    Role.GRID_CHIEF,
    Role.DEPARTMENT_STAFF,
    Role.DEPARTMENT_HEAD,
    Role.INSPECTOR,
    Role.ADMIN,
    Role.SERVICE,
)
SCOPED = frozenset({"grid", "dept", "own"})
ALLOWED = SCOPED | {"all", "public"}
CELLS = ALLOWED | {"-"}
OUTSIDE = frozenset({"NOT_FOUND", "hidden", "PERMISSION_DENIED", "n/a", ""})


@dataclass(frozen=True)
class Operation:
    service: str  # grid-registry, petition, dispatch, notification, evaluation; or "http"
    name: str  # gRPC method, or "VERB /path"
    cells: dict[Role, str]
    outside: str = ""
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.service} {self.name}"

    @property
    def scoped(self) -> bool:
        return any(cell in SCOPED for cell in self.cells.values())


def _op(service: str, name: str, row: str, outside: str = "", note: str = "") -> Operation:
    values = row.split()
    if len(values) != len(ROLES) or not set(values) <= CELLS:
        raise ValueError(f"{service} {name}: a row names {len(ROLES)} cells of {sorted(CELLS)}")
    cells = dict(zip(ROLES, values, strict=True))
    scoped = any(v in SCOPED for v in values)
    if outside not in OUTSIDE or scoped != bool(outside):
        raise ValueError(f"{service} {name}: a scoped row says what outside means, others not")
    return Operation(service, name, cells, outside, note)


EVERYONE = "all all all all all all all all"
STAFF = "- all all all all all all all"
PUBLIC = "public public public public public public public public"
PETITION_READ = "- grid grid dept dept all all all"
HANDLE = "- grid grid dept dept - all -"
ASSIGNMENT_READ = "- grid grid dept dept all all all"
VISIT_READ = "- grid grid - - all all -"
HOUSEHOLD_CHANGE = "- grid grid - - - all -"
HOUSEHOLD_READ = "- grid grid - - all all all"
NF, HIDDEN, DENIED = "NOT_FOUND", "hidden", "PERMISSION_DENIED"

GR, PE, DI, NO, EV, HTTP = (
    "grid-registry",
    "petition",
    "dispatch",
    "notification",
    "evaluation",
    "http",
)

MATRIX: tuple[Operation, ...] = (
    # -- grid-registry: the map and reference data are shared; people only along one's line ----
    _op(GR, "LocateGrid", EVERYONE, note="residents locate the point of their own report"),
    _op(GR, "GetGrid", STAFF),
    _op(GR, "ListGrids", STAFF),
    _op(
        GR,
        "ListMembers",
        "- grid grid all all all all all",
        NF,
        "grid roles: grids on their line (their subtree and the grids above it); contacts "
        "masked outside one's line or department",
    ),
    _op(GR, "ListCategories", EVERYONE),
    _op(GR, "GetCategory", EVERYONE),
    _op(GR, "ListDepartments", EVERYONE),
    _op(GR, "ResolveResponsibility", EVERYONE),
    _op(GR, "GetChain", "- grid grid all all all all all", NF, "as ListMembers"),
    _op(GR, "LocateGrids", STAFF, note="bulk location for services and staff tools"),
    _op(GR, "ListGridBoundaries", EVERYONE, note="the map's outlines (the resident page)"),
    _op(GR, "MeasureDistanceToGrid", STAFF, note="dispatch checks a visit's GPS point with it"),
    # -- grid-registry HouseholdService: the register of households and care members ----------
    _op(
        GR,
        "RegisterHousehold",
        HOUSEHOLD_CHANGE,
        NF,
        "a place outside the caller's grid subtrees answers as an unknown place",
    ),
    _op(GR, "UpdateHousehold", HOUSEHOLD_CHANGE, NF),
    _op(GR, "RemoveHousehold", HOUSEHOLD_CHANGE, NF),
    _op(
        GR,
        "GetHousehold",
        HOUSEHOLD_READ,
        NF,
        "in full for the household's grid staff and admins, masked for inspectors and services; "
        "a staff read of a special-care record needs a reason and is written to the access log",
    ),
    _op(GR, "ListHouseholds", HOUSEHOLD_READ, NF, "always masked; another grid: NOT_FOUND"),
    _op(GR, "ListCareGroups", STAFF),
    _op(
        GR,
        "ListCareAccessLog",
        "- - grid - - all all -",
        NF,
        "a chief: the reads of households in their subtree",
    ),
    # -- petition (gRPC is for staff; residents use HTTP) --------------------------------------
    _op(
        PE,
        "SubmitPetition",
        "- all all all all all all -",
        note="staff enter what reached them (patrol, hotline); services never report",
    ),
    _op(PE, "GetPetition", PETITION_READ, NF),
    _op(PE, "ListPetitions", PETITION_READ, HIDDEN),
    _op(PE, "GetPetitionHistory", PETITION_READ, NF),
    _op(PE, "GetReporterContacts", "- - - - - - - all", note="notification's deliveries"),
    _op(PE, "BatchGetReporterContacts", "- - - - - - - all", note="notification's deliveries"),
    _op(PE, "VerifyPetition", HANDLE, NF),
    _op(PE, "RejectPetition", HANDLE, NF),
    _op(PE, "MergePetition", HANDLE, NF),
    _op(PE, "ResolvePetition", HANDLE, NF),
    _op(PE, "ReopenPetition", HANDLE, NF),
    _op(
        PE,
        "AddPetitionNote",
        "- grid grid dept dept all all -",
        NF,
        "inspectors note what they found on a visit",
    ),
    _op(PE, "GetPetitionPhoto", PETITION_READ, NF),
    _op(PE, "WatchPetitions", PETITION_READ, HIDDEN),
    _op(PE, "AnonymiseResident", "- - - - - - all -"),
    _op(PE, "SetPetitionPublication", HANDLE, NF),
    # -- dispatch --------------------------------------------------------------------------------
    _op(DI, "GetAssignment", ASSIGNMENT_READ, NF),
    _op(DI, "ListAssignments", ASSIGNMENT_READ, HIDDEN),
    _op(
        DI,
        "ListOverdue",
        ASSIGNMENT_READ,
        HIDDEN,
        "a department filter naming another department answers an empty list",
    ),
    _op(DI, "PauseClock", "- grid grid dept - - all -", NF),
    _op(DI, "ResumeClock", "- grid grid dept - - all -", NF),
    _op(
        DI,
        "ListTriage",
        "- - grid - - - all -",
        HIDDEN,
        "a petition in triage has no category, so no department holds it yet",
    ),
    _op(DI, "SetTriageCategory", "- - grid - - - all -", NF),
    _op(
        DI,
        "AcceptAssignment",
        "- own own dept dept - all -",
        NF,
        "grid roles accept what is assigned to them (others in their subtree: PERMISSION_DENIED)",
    ),
    _op(
        DI,
        "TransferAssignment",
        "- own grid dept dept - all -",
        NF,
        "a grid worker moves only the assignments given to them",
    ),
    _op(DI, "RefuseAssignment", "- - - dept dept - - -", NF, "退单: departments only"),
    _op(DI, "BlowWhistle", "- grid grid - - - all -", NF),
    _op(
        DI, "ReportToWhistle", "- - - dept dept - - -", NF, "only a department the whistle summoned"
    ),
    _op(DI, "WatchAssignments", "- - grid dept dept - all all", HIDDEN),
    _op(DI, "CountLights", ASSIGNMENT_READ, HIDDEN, "counts only what the caller may see"),
    _op(DI, "ListWhistles", ASSIGNMENT_READ, HIDDEN, "a department: the whistles summoning it"),
    _op(
        DI,
        "RecordVisit",
        "- grid - - - - - -",
        NF,
        "a grid worker visits households of their own grid (another grid's household: NOT_FOUND)",
    ),
    _op(DI, "GetVisit", VISIT_READ, NF, "the worker who made it and the staff of its subtree"),
    _op(DI, "GetVisitPhoto", VISIT_READ, NF, "as GetVisit"),
    _op(
        DI,
        "ListDiary",
        "- own grid - - all all -",
        DENIED,
        "a worker reads their own diary; a chief a worker's visits within the chief's subtree",
    ),
    _op(DI, "ListCareDue", VISIT_READ, HIDDEN, "care clocks of the caller's grid subtrees"),
    # -- notification ----------------------------------------------------------------------------
    _op(NO, "ListInbox", "own own own own own own all all", DENIED),
    _op(NO, "MarkRead", "own own own own own own all all", DENIED),
    _op(NO, "CountUnread", "own own own own own own all all", DENIED),
    _op(NO, "WatchInbox", "own own own own own own all all", DENIED),
    _op(
        NO,
        "CreateWebhookSubscription",
        "- - - - - - all all",
        note="a webhook receives every event of a type, beyond any one scope",
    ),
    _op(
        NO,
        "ListWebhookSubscriptions",
        "- - - - - - all own",
        HIDDEN,
        "a service: the subscriptions it made",
    ),
    _op(NO, "DeleteWebhookSubscription", "- - - - - - all own", NF),
    _op(NO, "ListDeliveries", "own own own own own own all all", DENIED),
    _op(NO, "SendBulletin", "- - grid - - - all -", DENIED),
    _op(NO, "ListBulletins", "- - own - - - all all", HIDDEN, "a chief: the bulletins they sent"),
    _op(NO, "GetBulletinProgress", "- - own - - - all all", NF, "a chief: the bulletins they sent"),
    # -- evaluation ------------------------------------------------------------------------------
    _op(
        EV,
        "GetScorecard",
        "- grid grid dept all all all all",
        DENIED,
        "workers also their own card; the city card is open to staff",
    ),
    _op(EV, "ListScorecards", "- - - - all all all all"),
    _op(EV, "ExportScorecards", "- - - - all all all all"),
    _op(
        EV,
        "RateFollowUp",
        "own - - - - - - all",
        NF,
        "the service rates for the resident petition's HTTP API authenticated",
    ),
    _op(EV, "RecordFollowUpVisit", "- grid grid - - - all -", NF),
    _op(EV, "GetFollowUp", "own grid grid dept dept all all all", NF),
    _op(EV, "RecordAssessment", "- - - - - all all -"),
    _op(EV, "GetStarRule", EVERYONE, note="评星公示: public"),
    _op(EV, "ListRankings", STAFF),
    _op(EV, "RecordServiceHours", "- - all - - - all -"),
    _op(EV, "ListHotSpots", PETITION_READ, HIDDEN, "built from the petitions the caller may see"),
    _op(EV, "ListRisingCategories", PETITION_READ, HIDDEN, "as ListHotSpots"),
    _op(EV, "ListRepeatLocations", PETITION_READ, HIDDEN, "as ListHotSpots"),
    _op(
        EV,
        "GetGridDigest",
        "- grid grid - - all all -",
        DENIED,
        "a grid's weekly digest: grid roles of its subtree (a level-1 chief reads every grid "
        "under theirs)",
    ),
    _op(EV, "SpendPoints", "own own all own own own all own", DENIED),
    _op(EV, "GetTimeBankAccount", "own own all own own own all own", DENIED),
    # -- petition HTTP: the resident API, the resident page, Open311 ----------------------------
    _op(HTTP, "GET /", PUBLIC, note="the resident page"),
    _op(HTTP, "GET /page/<asset>", PUBLIC),
    _op(HTTP, "POST /api/v1/petitions", "all all all all all all all -"),
    _op(
        HTTP,
        "GET /api/v1/petitions",
        "own own own own own own own own",
        HIDDEN,
        "the petitions the caller reported",
    ),
    _op(HTTP, "GET /api/v1/petitions/<id>", "own grid grid dept dept all all all", NF),
    _op(HTTP, "GET /api/v1/petitions/<id>/history", "own grid grid dept dept all all all", NF),
    _op(HTTP, "GET /api/v1/petitions/<id>/photos/<seq>", "own grid grid dept dept all all all", NF),
    _op(HTTP, "GET /api/v1/petitions/<id>/follow-up", "own grid grid dept dept all all all", NF),
    _op(HTTP, "POST /api/v1/petitions/<id>/rating", "own - - - - - - -", NF),
    _op(
        HTTP,
        "DELETE /api/v1/me/personal-data",
        "own - - - - - - -",
        "n/a",
        "erases the caller's own contacts; there is no one else to name",
    ),
    _op(HTTP, "GET /open311/v2/discovery.json", PUBLIC),
    _op(HTTP, "GET /open311/v2/services.json", PUBLIC),
    _op(HTTP, "GET /open311/v2/services/<code>.json", PUBLIC),
    _op(HTTP, "GET /open311/v2/requests.json", PUBLIC, note="published petitions only"),
    _op(HTTP, "GET /open311/v2/requests/<id>.json", PUBLIC, note="published petitions only"),
    _op(HTTP, "GET /open311/v2/tokens/<id>.json", PUBLIC),
    _op(HTTP, "POST /open311/v2/requests.json", PUBLIC, note="with an Open311 api_key"),
)

_HEADER = """# Who may do what: the authorization matrix

Generated from `tests/support/authz_matrix.py` (`python -m tests.support.authz_matrix >
docs/authorization.md`); `tests/e2e/test_authorization_matrix.py` drives every cell against the
running services with real tokens and fails when this page and the table differ.

Cells: `all` allowed on every object; `grid` inside the grid subtrees on the token (claim
`grids`), plus what the caller reported or is assigned; `dept` what the department on the token
(claim `department`) holds; `own` the caller's own things; `public` no token needed; `-` refused
with PERMISSION_DENIED (HTTP 403) whatever the object.

*Outside scope* is the answer a scoped role gets about something outside its scope: `NOT_FOUND`
(HTTP 404) for an object named by id, so the answer does not tell that it exists (OWASP API1);
`hidden` for a list or stream, which leaves the object out; `PERMISSION_DENIED` when the caller
names another scope in a parameter (another person's inbox, another grid's scorecard).

A token without the claim its role's scope needs (a department token without `department`, a
grid token without `grids`) sees nothing of that scope.
"""


def render() -> str:
    lines = [_HEADER]
    head = "| operation | " + " | ".join(r.value for r in ROLES) + " | outside scope | note |"
    rule = "|" + "---|" * (len(ROLES) + 3)
    for service in (GR, PE, DI, NO, EV, HTTP):
        title = "HTTP (petition)" if service == HTTP else f"{service} (gRPC)"
        lines += [f"\n## {title}\n", head, rule]
        for op in (o for o in MATRIX if o.service == service):
            cells = " | ".join(op.cells[r] for r in ROLES)
            lines.append(f"| `{op.name}` | {cells} | {op.outside or ''} | {op.note} |")
    cells_total = len(MATRIX) * len(ROLES)
    lines.append(f"\n{len(ROLES)} roles × {len(MATRIX)} operations = {cells_total} cells.\n")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())
