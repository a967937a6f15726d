"""Reads and writes of the reference data: categories, departments, responsibility rules."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from gridplus.grid_registry.domain.taxonomy import (
    Category,
    Department,
    Priority,
    ResponsibilityRule,
    Taxonomy,
)
from gridplus.grid_registry.storage.models import (
    CategoryRow,
    DepartmentRow,
    ReferenceDataRow,
    ResponsibilityRuleRow,
)

META_ID = 1


def reference_version(session: Session) -> tuple[int, str] | None:
    """(version, fingerprint) of the stored reference data; None if never seeded."""
    row = session.get(ReferenceDataRow, META_ID)
    return None if row is None else (row.version, row.fingerprint)


def load_taxonomy(session: Session) -> Taxonomy:
    categories = [
        Category(
            code=row.code,
            name_zh=row.name_zh,
            name_en=row.name_en,
            top_level_code=row.top_level_code,
            parent_code=row.parent_code,
            priority=Priority(row.priority),
            verify_sla_minutes=row.verify_sla_minutes,
            handle_sla_minutes=row.handle_sla_minutes,
            business_calendar=row.business_calendar,
        )
        for row in session.execute(select(CategoryRow).order_by(CategoryRow.position)).scalars()
    ]
    departments = [
        Department(row.code, row.name_zh, row.name_en, row.head_person_id)
        for row in session.execute(select(DepartmentRow).order_by(DepartmentRow.position)).scalars()
    ]
    rules = [
        ResponsibilityRule(row.category_code, row.grid_code or None, row.department_code)
        for row in session.execute(
            select(ResponsibilityRuleRow).order_by(
                ResponsibilityRuleRow.category_code, ResponsibilityRuleRow.grid_code
            )
        ).scalars()
    ]
    return Taxonomy(categories, departments, rules)


def replace_taxonomy(session: Session, taxonomy: Taxonomy, *, fingerprint: str) -> int:
    """Replace all reference rows with `taxonomy`; returns the new reference version."""
    for model in (ResponsibilityRuleRow, DepartmentRow, CategoryRow):
        session.execute(delete(model))
    session.execute(
        insert(CategoryRow),
        [
            {
                "code": c.code,
                "position": position,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "top_level_code": c.top_level_code,
                "parent_code": c.parent_code,
                "priority": c.priority.value,
                "verify_sla_minutes": c.verify_sla_minutes,
                "handle_sla_minutes": c.handle_sla_minutes,
                "business_calendar": c.business_calendar,
            }
            for position, c in enumerate(taxonomy.categories())
        ],
    )
    session.execute(
        insert(DepartmentRow),
        [
            {
                "code": d.code,
                "position": position,
                "name_zh": d.name_zh,
                "name_en": d.name_en,
                "head_person_id": d.head_person_id,
            }
            for position, d in enumerate(taxonomy.departments())
        ],
    )
    rules = taxonomy.rules()
    if rules:
        session.execute(
            insert(ResponsibilityRuleRow),
            [
                {
                    "category_code": r.category_code,
                    "grid_code": r.grid_code or "",
                    "department_code": r.department_code,
                }
                for r in rules
            ],
        )
    meta = session.get(ReferenceDataRow, META_ID)
    if meta is None:
        meta = ReferenceDataRow(id=META_ID, version=0, fingerprint="")
        session.add(meta)
    meta.version += 1
    meta.fingerprint = fingerprint
    return meta.version
