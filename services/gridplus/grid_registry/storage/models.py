"""grid-registry's tables. A grid set is immutable once imported: an import writes a new version
(its grids and members) and readers follow the highest version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gridplus.kit.db import UtcDateTime


class Base(DeclarativeBase):
    pass


class GridSetRow(Base):
    """One imported version of the city's grids."""

    __tablename__ = "grid_sets"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    source: Mapped[str] = mapped_column(String(500), nullable=False)
    grid_count: Mapped[int] = mapped_column(Integer, nullable=False)
    member_count: Mapped[int] = mapped_column(Integer, nullable=False)
    # SHA-256 of the content (domain.fingerprint): an identical re-import is recognised.
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)


class GridRow(Base):
    """One grid of one version; the polygon as WKB (WGS84 lon/lat) plus its bounding box."""

    __tablename__ = "grids"
    __table_args__ = (
        Index("ix_grids_parent", "grid_set_version", "parent_code"),
        Index("ix_grids_level", "grid_set_version", "level"),
    )

    grid_set_version: Mapped[int] = mapped_column(ForeignKey("grid_sets.version"), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    level: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    parent_code: Mapped[str | None] = mapped_column(String(50))
    geometry: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    min_lon: Mapped[float] = mapped_column(Float, nullable=False)
    min_lat: Mapped[float] = mapped_column(Float, nullable=False)
    max_lon: Mapped[float] = mapped_column(Float, nullable=False)
    max_lat: Mapped[float] = mapped_column(Float, nullable=False)


class MemberRow(Base):
    """A person attached to a grid of one version in one role (domain.members.MemberRole)."""

    __tablename__ = "members"
    __table_args__ = (
        ForeignKeyConstraint(
            ["grid_set_version", "grid_code"], ["grids.grid_set_version", "grids.code"]
        ),
        Index("ix_members_person", "grid_set_version", "person_id"),
    )

    # Key order serves the common question: the members of a grid, optionally in one role.
    grid_set_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(50), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Work contact details of staff and volunteers ("" when unknown); language is BCP 47.
    email: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")
    phone: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")
    language: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")
    department_code: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")
    # The building or unit the person serves in the grid ("" = the grid as a whole).
    place_code: Mapped[str] = mapped_column(String(50), nullable=False, server_default="")


class PlaceRow(Base):
    """A building or unit (domain.places.Place) of one grid-set version."""

    __tablename__ = "places"
    __table_args__ = (
        ForeignKeyConstraint(
            ["grid_set_version", "grid_code"], ["grids.grid_set_version", "grids.code"]
        ),
        Index("ix_places_grid", "grid_set_version", "grid_code"),
    )

    grid_set_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    grid_code: Mapped[str] = mapped_column(String(50), nullable=False)
    parent_code: Mapped[str | None] = mapped_column(String(50))


class CategoryRow(Base):
    """One category of the petition taxonomy (domain.taxonomy.Category)."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Order of the seed file, so listings come back in a stable, meaningful order.
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name_zh: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False)
    top_level_code: Mapped[str] = mapped_column(String(100), nullable=False)
    parent_code: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[str] = mapped_column(String(10), nullable=False)
    verify_sla_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    handle_sla_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    business_calendar: Mapped[bool] = mapped_column(Boolean, nullable=False)


class DepartmentRow(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name_zh: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False)
    head_person_id: Mapped[str | None] = mapped_column(String(100))


class ResponsibilityRuleRow(Base):
    """Category (and its subtree) x grid subtree -> department; grid_code "" = the whole city."""

    __tablename__ = "responsibility_rules"

    category_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(50), primary_key=True)
    department_code: Mapped[str] = mapped_column(String(50), nullable=False)


class ReferenceDataRow(Base):
    """One row: which seed the reference tables hold; version grows on every change."""

    __tablename__ = "reference_data"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)


class HouseholdRow(Base):
    """A household (domain.households.Household). Address and unit are sealed with the key
    ring (kit.pii) under `key_id`; a removed household keeps only its ids and place."""

    __tablename__ = "households"
    __table_args__ = (Index("ix_households_grid_place", "grid_code", "place_code", "household_id"),)

    household_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(50), nullable=False)
    place_code: Mapped[str] = mapped_column(String(50), nullable=False)
    key_id: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[bytes | None] = mapped_column(LargeBinary)
    unit: Mapped[bytes | None] = mapped_column(LargeBinary)
    has_care_members: Mapped[bool] = mapped_column(Boolean, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # The operator's key of a CSV import (gridctl import-households): a re-import finds it.
    import_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    removed_reason: Mapped[str | None] = mapped_column(String(500))


class HouseholdMemberRow(Base):
    """One person of a household: name, phone and ID tail sealed; the ID number only as a
    keyed hash (to find a person registered twice); care groups as comma-separated codes."""

    __tablename__ = "household_members"
    __table_args__ = (
        Index("ix_household_members_household", "household_id", "position"),
        Index("ix_household_members_id_hash", "id_hash"),
    )

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.household_id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    key_id: Mapped[str] = mapped_column(String(50), nullable=False)
    name: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    phone: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_tail: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_hash: Mapped[str | None] = mapped_column(String(64))
    birth_year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    care_groups: Mapped[str] = mapped_column(String(500), nullable=False)


class CareAccessRow(Base):
    """One read of a special-care record by staff: who, in what role, which household, why."""

    __tablename__ = "care_access_log"
    __table_args__ = (
        Index("ix_care_access_grid", "grid_code", "id"),
        Index("ix_care_access_actor", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor_id: Mapped[str] = mapped_column(String(100), nullable=False)
    actor_role: Mapped[str] = mapped_column(String(30), nullable=False)
    household_id: Mapped[str] = mapped_column(String(36), nullable=False)
    grid_code: Mapped[str] = mapped_column(String(50), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    read_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
