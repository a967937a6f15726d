"""What a caller is shown of a petition: the read model the APIs convert."""

from __future__ import annotations

from dataclasses import dataclass

from gridplus.petition.domain.petition import Light, Petition
from gridplus.petition.domain.photos import PhotoRef
from gridplus.petition.domain.values import Contact


@dataclass(frozen=True)
class PetitionView:
    """A petition as one caller may see it."""

    petition: Petition
    contact: Contact | None  # masked unless the caller may see it whole
    contact_masked: bool
    photos: list[PhotoRef]
    possible_duplicates: list[str]  # staff only
    light: Light | None
