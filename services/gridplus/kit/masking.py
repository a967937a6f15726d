"""Masking personal data (信息保密处理) in answers to callers who may not see it whole: one set of
rules for petition's reporters and grid-registry's households (138****1234, 张*). Pure: no I/O.
(Encryption at rest: gridplus.kit.pii.)"""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """138****1234: the operator prefix and the last four digits stay."""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 8:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str) -> str:
    """张** / J*** : the first character only."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_email(email: str) -> str:
    local, at, domain = email.strip().partition("@")
    if not at:
        return mask_name(email)
    return f"{local[:1]}***@{domain}"


def mask_address(address: str) -> str:
    """The first few characters (district, street) only; house numbers are hidden."""
    address = address.strip()
    keep = min(6, len(address) // 2)
    return address[:keep] + "***" if address else ""


def mask_unit(unit: str) -> str:
    """A flat or door number says which door: nothing of it stays."""
    return "***" if unit.strip() else ""
