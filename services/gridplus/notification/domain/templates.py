"""Titles and bodies per notice kind, in Chinese (the default) and English.

Templates name ids, codes and times only: never a resident's name, phone or address.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridplus.notification.domain.notices import NoticeKind

ZH_CN = "zh-CN"
EN = "en"
DEFAULT_LANGUAGE = ZH_CN


@dataclass(frozen=True)
class Template:
    title: str
    body: str  # str.format fields, filled by the rule that chose this kind


TEMPLATES: dict[NoticeKind, dict[str, Template]] = {
    NoticeKind.PETITION_ASSIGNED: {
        ZH_CN: Template(
            title="新诉求待核实",
            body="网格 {grid_code} 有一条新诉求分派给您，请在 {deadline} 前完成核实。",
        ),
        EN: Template(
            title="New petition to verify",
            body="A new petition in grid {grid_code} is assigned to you; "
            "please verify it by {deadline}.",
        ),
    },
}


def language_of(tag: str | None) -> str:
    """The template language for a BCP 47 tag: en, en-GB → en; anything else → zh-CN."""
    if tag and tag.split("-")[0].lower() == EN:
        return EN
    return DEFAULT_LANGUAGE


def render(kind: NoticeKind, language: str | None, **values: str) -> tuple[str, str]:
    """(title, body) for `kind` in `language`, falling back to Chinese."""
    template = TEMPLATES[kind][language_of(language)]
    return template.title.format(**values), template.body.format(**values)
