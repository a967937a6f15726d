"""One petition in My work: details, photos, history, its place on a map (its grid and the
neighbouring ones from grid-registry's outlines), the candidates to merge it with, and the
forms of the actions (actions.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import grpc
from flask import Response, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue

from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.api.petition.v1 import petition_pb2
from gridplus.console.board.shapes import feature_collection
from gridplus.console.grpc_calls import ServiceStubs, stubs
from gridplus.console.i18n import current_language, t
from gridplus.console.nav import AreaBlueprint
from gridplus.console.session import current_user, requires
from gridplus.console.work.present import actions_for, distance_m, distance_text, light_name
from gridplus.kit.cache import TtlCache
from gridplus.kit.roles import Role

CATEGORIES_KEY = "gridplus.console.work.categories"
CATEGORY_SECONDS = 600.0
OUTLINE_SIMPLIFY_M = 5.0
MAX_CANDIDATES = 6


@dataclass(frozen=True)
class Candidate:
    """An open petition of the same category nearby: what merging it would merge into."""

    petition: petition_pb2.Petition
    status: str
    distance: str


@dataclass(frozen=True)
class PetitionView:
    petition: petition_pb2.Petition
    status: str
    light: str
    history: list[petition_pb2.HistoryEntry]
    assignment: dispatch_pb2.Assignment | None
    candidates: list[Candidate]
    actions: frozenset[str]
    errors: Mapping[str, str] = field(default_factory=dict)  # form field -> message
    failed_action: str | None = None


def register(area: AreaBlueprint, roles: Iterable[Role]) -> None:
    gate = requires(*roles)

    @area.get("/work/petitions/<petition_id>")
    @gate
    def petition(petition_id: str) -> ResponseReturnValue:
        return render_view(load_view(petition_id))

    @area.get("/work/petitions/<petition_id>/photos/<int:seq>")
    @gate
    def photo(petition_id: str, seq: int) -> ResponseReturnValue:
        answer = stubs().petition.GetPetitionPhoto(
            petition_pb2.GetPetitionPhotoRequest(id=petition_id, seq=seq)
        )
        response = Response(answer.content, mimetype=answer.photo.media_type)
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

    @area.get("/work/petitions/<petition_id>/place")
    @gate
    def place(petition_id: str) -> ResponseReturnValue:
        """The petition's point and its grid among its neighbours, as GeoJSON for the map."""
        calls = stubs()
        found = calls.petition.GetPetition(petition_pb2.GetPetitionRequest(id=petition_id))
        return jsonify(_place(calls, found.petition))


def render_view(view: PetitionView, status: int = 200) -> ResponseReturnValue:
    return (
        render_template(
            "work/petition.html",
            view=view,
            petition=view.petition,
            categories=categories(),
            request_id=str(uuid.uuid4()),
            lang=current_language(),
            status_name=status_name,
            field_label=_field_label,
            role_label=_role_label,
        ),
        status,
    )


# Form fields the services may name in INVALID_ARGUMENT, as the page labels them.
_FIELDS = frozenset(
    {"category", "note", "reason", "photos", "survivor_id", "to_assignee_id", "to_department_code"}
)


def _field_label(name: str) -> str:
    base = name.split("[")[0]
    return t(f"work.field.{base}") if base in _FIELDS else name


def _role_label(role: str) -> str:
    return t(f"common.role.{role}") if role in {r.value for r in Role} else role


def load_view(
    petition_id: str, *, errors: Mapping[str, str] | None = None, failed: str | None = None
) -> PetitionView:
    user = current_user()
    assert user is not None
    calls = stubs()
    found = calls.petition.GetPetition(petition_pb2.GetPetitionRequest(id=petition_id)).petition
    history = calls.petition.GetPetitionHistory(
        petition_pb2.GetPetitionHistoryRequest(id=petition_id)
    ).entries
    assignment = _assignment(calls, petition_id)
    status = status_name(found.status)
    return PetitionView(
        petition=found,
        status=status,
        # Dispatch owns clocks and lights: its answer is current, petition's copy follows.
        light=light_name(assignment.light if assignment is not None else found.light),
        history=list(history),
        assignment=assignment,
        candidates=_candidates(calls, found),
        actions=actions_for(
            status,
            user.role,
            accepted=assignment is not None and assignment.HasField("accepted_at"),
            has_assignment=assignment is not None,
        ),
        errors=errors or {},
        failed_action=failed,
    )


def status_name(value: int) -> str:
    return petition_pb2.PetitionStatus.Name(value).removeprefix("PETITION_STATUS_")


def _assignment(calls: ServiceStubs, petition_id: str) -> dispatch_pb2.Assignment | None:
    try:
        return calls.dispatch.GetAssignment(
            dispatch_pb2.GetAssignmentRequest(petition_id=petition_id)
        ).assignment
    except grpc.RpcError as error:
        # Not routed yet, or closed: the petition page still shows.
        if isinstance(error, grpc.Call) and error.code() is grpc.StatusCode.NOT_FOUND:
            return None
        raise


def _candidates(calls: ServiceStubs, petition: petition_pb2.Petition) -> list[Candidate]:
    """Petition's own list of possible duplicates, each fetched with the user's token (one the
    user may not see is left out), nearest first."""
    futures = [
        calls.petition.GetPetition.future(petition_pb2.GetPetitionRequest(id=pid))
        for pid in list(petition.possible_duplicate_ids)[:MAX_CANDIDATES]
    ]
    found = []
    for future in futures:
        try:
            other = future.result().petition
        except grpc.RpcError:
            continue
        meters = distance_m(
            petition.location.lat, petition.location.lon, other.location.lat, other.location.lon
        )
        found.append((meters, Candidate(other, status_name(other.status), distance_text(meters))))
    return [candidate for _, candidate in sorted(found, key=lambda pair: pair[0])]


def _taxonomy() -> list[grid_pb2.Category]:
    """grid-registry's categories, cached for the process (public reference data)."""
    cache: TtlCache[list[grid_pb2.Category]] = current_app.extensions.setdefault(
        CATEGORIES_KEY, TtlCache(CATEGORY_SECONDS, stale_on=(grpc.RpcError,))
    )
    return cache.get(
        "all",
        lambda: list(stubs().grid.ListCategories(grid_pb2.ListCategoriesRequest()).categories),
    )


def categories() -> list[tuple[str, str]]:
    """(code, name in the page's language) of every category a petition can take (the
    subcategories; the top-level classes only group them)."""
    zh = current_language() == "zh"
    return [
        (c.code, (c.name_zh if zh else c.name_en) or c.code) for c in _taxonomy() if c.parent_code
    ]


def is_category(code: str) -> bool:
    return any(c.code == code for c in _taxonomy())


def _place(calls: ServiceStubs, petition: petition_pb2.Petition) -> dict[str, object]:
    grid = petition.grid
    outlines: dict[str, object] = {"type": "FeatureCollection", "features": []}
    if grid.code:
        parent = grid.path[-2] if len(grid.path) > 1 else ""
        answer = calls.grid.ListGridBoundaries(
            grid_pb2.ListGridBoundariesRequest(
                parent_code=parent, level=grid.level, simplify_meters=OUTLINE_SIMPLIFY_M
            )
        )
        outlines = feature_collection(answer)
    return {
        "grid_code": grid.code,
        "point": {"lat": petition.location.lat, "lon": petition.location.lon},
        "outlines": outlines,
    }


def as_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
