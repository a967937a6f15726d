"""The alert rules as shipped: promtool's unit tests pass (and fail when an expectation is wrong,
so they check something), and issue 16's GridplusCareVisitsOverdue reads dispatch's gauge per
grid, waits 15 minutes, warns, says where to look, and reaches the chart's PrometheusRule as it
is in deploy/."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.test_chart_checks import CHART, docs_of, rendered

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy" / "prometheus" / "rules" / "gridplus-alerts.yaml"
TESTS = sorted((REPO / "deploy" / "prometheus" / "tests").glob("*.yaml"))
DISPATCH_METRICS = REPO / "services" / "gridplus" / "dispatch" / "metrics.py"
CARE_ALERT = "GridplusCareVisitsOverdue"
CARE_METRIC = "gridplus_dispatch_care_visits_overdue"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool not installed (Debian package prometheus; make prometheus-tools)")
    return found


def alert(groups: list[dict[str, Any]], name: str) -> dict[str, Any]:
    [rule] = [r for g in groups for r in g["rules"] if r.get("alert") == name]
    return rule


def promtool_test(promtool: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, "test", "rules", *map(str, files)], capture_output=True, text=True, timeout=120
    )


def test_the_rules_check_and_their_unit_tests_pass(promtool: str) -> None:
    checked = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool_test(promtool, *TESTS)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_a_care_alert_expected_too_early_fails_the_unit_tests(
    promtool: str, tmp_path: Path
) -> None:
    """The care test's "not before 15 minutes" is a real check: expecting the alert a minute
    early (at 15m instead of 16m) makes promtool fail."""
    [source] = [p for p in TESTS if CARE_ALERT in p.read_text()]
    text = source.read_text()
    early = text.replace("      - eval_time: 16m\n        alertname: GridplusCareVisitsOverdue\n",
                         "      - eval_time: 15m\n        alertname: GridplusCareVisitsOverdue\n",
                         1)  # fmt: skip
    assert early != text
    copy = tmp_path / "tests" / source.name
    copy.parent.mkdir()
    copy.write_text(early.replace("../rules/", f"{RULES.parent}/"))
    failed = promtool_test(promtool, copy)
    assert failed.returncode != 0
    assert "GridplusCareVisitsOverdue" in failed.stdout + failed.stderr


def test_the_care_alert_warns_per_grid_after_fifteen_minutes() -> None:
    rule = alert(yaml.safe_load(RULES.read_text())["groups"], CARE_ALERT)
    expr = " ".join(rule["expr"].split())
    assert expr == f"sum by (grid) ({CARE_METRIC}) > 0"
    assert rule["for"] == "15m"
    assert rule["labels"]["severity"] == "warning"
    annotations = rule["annotations"]
    assert "{{ $labels.grid }}" in annotations["summary"]
    assert "{{ $value }}" in annotations["summary"]
    assert "ListCareDue" in annotations["description"]


def test_the_gauge_the_care_alert_reads_is_one_dispatch_exports() -> None:
    assert re.search(rf'"{CARE_METRIC}"', DISPATCH_METRICS.read_text()), (
        f"dispatch's metrics.py declares no {CARE_METRIC}"
    )


def test_the_chart_renders_the_care_alert_as_deploy_has_it() -> None:
    docs = docs_of(rendered(CHART / "ci" / "everything-values.yaml"))
    [prometheus_rule] = [d for d in docs if d["kind"] == "PrometheusRule"]
    shipped = alert(yaml.safe_load(RULES.read_text())["groups"], CARE_ALERT)
    assert alert(prometheus_rule["spec"]["groups"], CARE_ALERT) == shipped
