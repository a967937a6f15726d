"""Schemathesis hooks and checks for fuzzing the petition HTTP API (SCHEMATHESIS_HOOKS points
the `st` CLI here; tests/integration/petition/test_openapi_fuzz.py runs it).

Beyond schemathesis's own checks (schema conformance, no 5xx, ...), every refusal must be
- problem+json (the resident API) or the Open311 error list (under /open311/), and
- a 400 must name each wrong field (problem `errors[].field`; Open311 `"<field>: ..."`), and
- a refused request stores nothing: the row count of every table in the petition database
  (FUZZ_DATABASE_URL) is the same before and after it.

The Open311 api key the server accepts (FUZZ_OPEN311_KEY) replaces a generated `api_key`, and
one of its services (FUZZ_OPEN311_SERVICE) then a generated `service_code`, so POSTs get past
both and their other fields are fuzzed; a missing or non-string key stays as generated.
"""

from __future__ import annotations

import os
import re
from functools import cache
from typing import Any

import schemathesis
from sqlalchemy import Engine, create_engine, func, inspect, select, table

_OPEN311_FIELD = re.compile(r"^[\w\[\]/.]+: \S")
_counts_before: dict[str, int] = {}


@cache
def _engine() -> Engine:
    return create_engine(os.environ["FUZZ_DATABASE_URL"])


def row_counts() -> dict[str, int]:
    engine = _engine()
    names = [n for n in inspect(engine).get_table_names() if n != "alembic_version"]
    with engine.connect() as connection:
        return {
            name: int(
                connection.execute(select(func.count()).select_from(table(name))).scalar_one()
            )
            for name in names
        }


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: Any, kwargs: dict[str, Any]) -> None:
    body = case.body
    # Here rather than in map_body: every phase passes through (coverage too).
    open311 = case.path.startswith("/open311/") and isinstance(body, dict)
    if open311 and isinstance(body.get("api_key"), str):
        body["api_key"] = os.environ["FUZZ_OPEN311_KEY"]
        if isinstance(body.get("service_code"), str):
            # The taxonomy is the city's, not the description's: a known code lets the other
            # fields be fuzzed past it.
            body["service_code"] = os.environ["FUZZ_OPEN311_SERVICE"]
    _counts_before.clear()
    _counts_before.update(row_counts())


@schemathesis.check
def refusals_are_named_and_store_nothing(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    status = response.status_code
    if not 400 <= status < 500:
        return None
    path = case.operation.path
    media = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if path.startswith("/open311/"):
        if media != "text/xml":
            assert media == "application/json", f"Open311 refusal {status} sent as {media!r}"
            errors = response.json()
            assert isinstance(errors, list) and errors, "Open311 refusal without its error list"
            if status == 400:
                unnamed = [e for e in errors if not _OPEN311_FIELD.match(str(e["description"]))]
                assert not unnamed, f"Open311 400 names no field: {unnamed}"
    else:
        assert media == "application/problem+json", f"refusal {status} sent as {media!r}"
        problem = response.json()
        assert problem["status"] == status, "problem status differs from the HTTP status"
        if status == 400:
            fields = [e.get("field") for e in problem.get("errors", [])]
            assert fields and all(fields), f"400 names no field: {problem}"
    after = row_counts()
    changed = {
        n: (_counts_before.get(n), c) for n, c in after.items() if _counts_before.get(n) != c
    }
    assert not changed, f"refused request ({status}) changed stored rows: {changed}"
    return None
