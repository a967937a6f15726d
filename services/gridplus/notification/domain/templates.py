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


def _pair(zh: tuple[str, str], en: tuple[str, str]) -> dict[str, Template]:
    return {ZH_CN: Template(*zh), EN: Template(*en)}


TEMPLATES: dict[NoticeKind, dict[str, Template]] = {
    NoticeKind.PETITION_ASSIGNED: _pair(
        ("新诉求待核实", "网格 {grid_code} 有一条新诉求分派给您，请在 {deadline} 前完成核实。"),
        (
            "New petition to verify",
            "A new petition in grid {grid_code} is assigned to you; "
            "please verify it by {deadline}.",
        ),
    ),
    NoticeKind.PETITION_ROUTED: _pair(
        ("诉求已受理", "您的诉求 {petition_id} 已分派至网格 {grid_code} 办理。"),
        (
            "Petition accepted",
            "Your petition {petition_id} was assigned to grid {grid_code} for handling.",
        ),
    ),
    NoticeKind.PETITION_RESOLVED: _pair(
        ("诉求已办结", "您的诉求 {petition_id} 已办结，请查看处理结果并评价。"),
        (
            "Petition resolved",
            "Your petition {petition_id} has been resolved; please check and rate it.",
        ),
    ),
    NoticeKind.PETITION_CLOSED: _pair(
        ("诉求已关闭", "您的诉求 {petition_id} 已关闭，感谢您的参与。"),
        ("Petition closed", "Your petition {petition_id} is closed. Thank you."),
    ),
    NoticeKind.PETITION_REJECTED: _pair(
        ("诉求未受理", "您的诉求 {petition_id} 未被受理。"),
        ("Petition not accepted", "Your petition {petition_id} was not accepted."),
    ),
    NoticeKind.PETITION_MERGED: _pair(
        ("诉求已合并", "您的诉求 {petition_id} 与诉求 {survivor_id} 合并办理，进展将一并通知您。"),
        (
            "Petition merged",
            "Your petition {petition_id} was merged into {survivor_id}; "
            "you will hear about its progress.",
        ),
    ),
    NoticeKind.PETITION_OVERDUE: _pair(
        ("诉求已超时（红灯）", "网格 {grid_code} 的诉求 {petition_id} 已于 {deadline} 超时。"),
        (
            "Petition overdue (red)",
            "Petition {petition_id} in grid {grid_code} passed its deadline at {deadline}.",
        ),
    ),
    NoticeKind.PETITION_ESCALATED: _pair(
        (
            "超时诉求已升级",
            "网格 {grid_code} 的超时诉求 {petition_id} 已升级至第 {rung} 级，请督办。",
        ),
        (
            "Overdue petition escalated",
            "Overdue petition {petition_id} in grid {grid_code} reached rung {rung}; "
            "please follow it up.",
        ),
    ),
    NoticeKind.ASSIGNMENT_TRANSFERRED: _pair(
        ("诉求转派给您", "诉求 {petition_id} 已转派给您办理，办理时限不变。"),
        (
            "Petition transferred to you",
            "Petition {petition_id} was transferred to you; its deadline is unchanged.",
        ),
    ),
    NoticeKind.ASSIGNMENT_REFUSED: _pair(
        (
            "诉求被退单待裁定",
            "部门 {department_code} 退回诉求 {petition_id}（第 {count} 次），请裁定。",
        ),
        (
            "Refused petition to arbitrate",
            "Department {department_code} refused petition {petition_id} "
            "(refusal {count}); please arbitrate.",
        ),
    ),
    NoticeKind.WHISTLE_BLOWN: _pair(
        ("吹哨报到", "网格 {grid_code} 就诉求 {petition_id} 吹哨，请于 {deadline} 前报到。"),
        (
            "Whistle: report in",
            "Grid {grid_code} blew the whistle on petition {petition_id}; "
            "please report by {deadline}.",
        ),
    ),
    NoticeKind.WHISTLE_REPORT_OVERDUE: _pair(
        ("吹哨报到超时", "部门 {department_code} 未在 {deadline} 前就诉求 {petition_id} 报到。"),
        (
            "Whistle report overdue",
            "Department {department_code} did not report on petition {petition_id} by {deadline}.",
        ),
    ),
    NoticeKind.CARE_VISIT_OVERDUE: _pair(
        (
            "特殊人群走访逾期（红灯）",
            "网格 {grid_code} 住户 {household_id} 的关爱对象 {member_id}（{groups}）"
            "应于 {due_at} 前走访，现已逾期；{last_visit}。请尽快入户走访。",
        ),
        (
            "Care visit overdue (red)",
            "Care member {member_id} ({groups}) of household {household_id} in grid "
            "{grid_code} was due a visit by {due_at} and is overdue; {last_visit}. "
            "Please visit soon.",
        ),
    ),
    NoticeKind.GRID_DIGEST: _pair(
        (
            "网格 {grid_code} 周报（{period}）",
            "网格 {grid_code} 本周（{period}）：新增诉求 {submitted} 件，办结 {closed} 件。\n"
            "热点类别：{categories}\n"
            "重复发生地点：{repeat_locations} 处\n"
            "住户走访覆盖率：{coverage}；特殊人群按时走访率：{on_time}；"
            "逾期未访的关爱对象：{overdue} 人。",
        ),
        (
            "Weekly digest of grid {grid_code} ({period})",
            "Grid {grid_code}, week {period}: {submitted} petitions submitted, "
            "{closed} closed.\n"
            "Busiest categories: {categories}\n"
            "Repeat locations: {repeat_locations}\n"
            "Households visited: {coverage}; care visits on time: {on_time}; "
            "care members overdue for a visit: {overdue}.",
        ),
    ),
    # The sender writes a bulletin in both languages; the template only places the text.
    NoticeKind.BULLETIN: _pair(("{title}", "{body}"), ("{title}", "{body}")),
}


# Names of the care groups (5类人群) the platform ships with (grid-registry's seed
# care_groups.csv); a group configured later is shown by its code.
CARE_GROUPS: dict[str, dict[str, str]] = {
    "ELDERLY_ALONE": {ZH_CN: "独居老人", EN: "elderly living alone"},
    "DISABLED": {ZH_CN: "残疾人", EN: "person with disabilities"},
    "SUBSISTENCE": {ZH_CN: "低保户", EN: "on subsistence allowance"},
    "LEFT_BEHIND_CHILD": {ZH_CN: "留守儿童", EN: "left-behind child"},
    "IN_DIFFICULTY": {ZH_CN: "困难群众", EN: "in difficulty"},
}


def care_group_names(codes: tuple[str, ...], language: str) -> str:
    """The groups in `language` (zh-CN or en), joined; "?" when none are given."""
    names = [CARE_GROUPS.get(code, {}).get(language, code) for code in codes if code]
    return ("、" if language == ZH_CN else ", ").join(names) or "?"


def language_of(tag: str | None) -> str:
    """The template language for a BCP 47 tag: en, en-GB → en; anything else → zh-CN."""
    if tag and tag.split("-")[0].lower() == EN:
        return EN
    return DEFAULT_LANGUAGE


def render(kind: NoticeKind, language: str | None, **values: str) -> tuple[str, str]:
    """(title, body) for `kind` in `language`, falling back to Chinese."""
    template = TEMPLATES[kind][language_of(language)]
    return template.title.format(**values), template.body.format(**values)
