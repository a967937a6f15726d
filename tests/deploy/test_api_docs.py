"""The gRPC API reference (docs/api/, `make docs`): committed up to date with protos/, naming every
service, method, message, field and enum value the running code serves with its comment; its
links land on anchors that exist; and the check in `make lint` fails on a stale reference or a
field added without a comment."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from gridplus.api.common.v1 import common_pb2
from gridplus.api.dispatch.v1 import dispatch_pb2
from gridplus.api.evaluation.v1 import evaluation_pb2
from gridplus.api.events.v1 import events_pb2
from gridplus.api.grid.v1 import grid_pb2
from gridplus.api.notification.v1 import notification_pb2
from gridplus.api.petition.v1 import petition_pb2
from tools import gen_api_docs

MODULES = [
    common_pb2,
    dispatch_pb2,
    evaluation_pb2,
    events_pb2,
    grid_pb2,
    notification_pb2,
    petition_pb2,
]
DOCS = gen_api_docs.DEFAULT_OUT
LINK = re.compile(r"\]\(([^)#\s]*)(?:#([^)]+))?\)")
ANCHOR = re.compile(r'<a id="([^"]+)"></a>')


def page(package: str) -> str:
    return (DOCS / gen_api_docs.page_name(package)).read_text(encoding="utf-8")


def test_the_committed_reference_is_current_and_every_element_has_a_comment() -> None:
    pages, missing = gen_api_docs.render()
    assert missing == []
    assert gen_api_docs.stale(pages, DOCS) == []


def test_every_service_method_message_field_and_enum_value_is_described() -> None:
    """Against the descriptors the services are built from, not the generator's own reading."""
    comments = _comments_by_name()
    checked = 0
    for module in MODULES:
        file = module.DESCRIPTOR
        text = page(file.package)
        for service in file.services_by_name.values():
            assert f'<a id="{service.full_name}"></a>service {service.name}' in text
            for method in service.methods:
                row = next(
                    line for line in text.splitlines() if line.startswith(f"| `{method.name}` |")
                )
                assert comments[method.full_name].split("\n")[0][:40] in row.replace("&lt;", "<")
                checked += 1
        for message in _messages(file.message_types_by_name.values()):
            assert f'<a id="{message.full_name}"></a>message ' in text, message.full_name
            for field in message.fields:
                assert f"| `{field.name}` | {field.number} |" in text, field.full_name
                assert comments.get(field.full_name), f"{field.full_name} has no comment"
                checked += 1
        for enum in file.enum_types_by_name.values():
            for value in enum.values:
                assert f"| `{value.name}` | {value.number} |" in text, value.name
                checked += 1
    assert checked > 500  # every package was read, not an empty page


def _messages(messages):  # type: ignore[no-untyped-def]
    for message in messages:
        if not message.GetOptions().map_entry:
            yield message
            yield from _messages(message.nested_types)


def _comments_by_name() -> dict[str, str]:
    """Each element's comment by its full name, read from protos/ with source info."""
    found: dict[str, str] = {}
    for proto in gen_api_docs.descriptor_set().file:
        comments = gen_api_docs.Comments(proto)
        for i, service in enumerate(proto.service):
            for j, method in enumerate(service.method):
                name = f"{proto.package}.{service.name}.{method.name}"
                found[name] = comments.get((6, i, 2, j))
        for name, path, message in _walk(proto.message_type, proto.package, (4,)):
            for k, field in enumerate(message.field):
                found[f"{name}.{field.name}"] = comments.get((*path, 2, k))
    return found


def _walk(messages, prefix, path):  # type: ignore[no-untyped-def]
    for i, message in enumerate(messages):
        name = f"{prefix}.{message.name}"
        yield name, (*path, i), message
        yield from _walk(message.nested_type, name, (*path, i, 3))


def test_every_link_lands_on_an_anchor() -> None:
    anchors = {
        p.name: set(ANCHOR.findall(p.read_text(encoding="utf-8"))) for p in DOCS.glob("*.md")
    }
    links = 0
    for source in DOCS.glob("*.md"):
        for target, anchor in LINK.findall(source.read_text(encoding="utf-8")):
            if target.startswith("https://"):
                continue
            page_anchors = anchors[target or source.name]  # KeyError: a page that does not exist
            assert not anchor or anchor in page_anchors, (source.name, target, anchor)
            links += 1
    assert links > 250


@pytest.fixture
def protos(tmp_path: Path) -> Path:
    target = tmp_path / "protos"
    shutil.copytree(gen_api_docs.PROTOS, target, ignore=shutil.ignore_patterns("releases"))
    return target


def add_field(protos: Path, lines: str) -> None:
    path = protos / "gridplus/dispatch/v1/dispatch.proto"
    text = path.read_text(encoding="utf-8")
    anchor = "  int32 refusals = 20;\n"
    assert anchor in text
    path.write_text(text.replace(anchor, anchor + lines), encoding="utf-8")


def test_the_check_fails_on_a_field_without_a_comment(
    protos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_field(protos, "  string crew_id = 98;\n")
    assert gen_api_docs.main(["--protos", str(protos), "--check"]) == 1
    err = capsys.readouterr().err
    assert "no comment: protos/gridplus/dispatch/v1/dispatch.proto: " in err
    assert "gridplus.dispatch.v1.Assignment.crew_id" in err


def test_the_check_fails_on_a_stale_reference_until_make_docs(
    protos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "docs"
    shutil.copytree(DOCS, out)
    add_field(protos, "  // The crew sent out (a person id).\n  string crew_id = 98;\n")
    assert gen_api_docs.main(["--protos", str(protos), "--out", str(out), "--check"]) == 1
    assert f"stale: {out / 'gridplus.dispatch.v1.md'}" in capsys.readouterr().out
    assert gen_api_docs.main(["--protos", str(protos), "--out", str(out)]) == 0
    assert "| `crew_id` | 98 | string | The crew sent out (a person id). |" in (
        out / "gridplus.dispatch.v1.md"
    ).read_text(encoding="utf-8")
    assert gen_api_docs.main(["--protos", str(protos), "--out", str(out), "--check"]) == 0
