"""Chinese and English: catalogs per area (i18n/<area>.<lang>.json, keys `<area>.<name>`), merged
at start; the language of a request from `?lang=`, the `lang` cookie, then Accept-Language."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Response, g, request

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "lang"
CATALOG_DIR = Path(__file__).resolve().parent / "i18n"
_YEAR = 365 * 24 * 3600


class CatalogError(Exception):
    """A catalog file is malformed or a key is defined twice."""


def load_catalogs(directory: Path = CATALOG_DIR) -> dict[str, dict[str, str]]:
    """{lang: {key: text}} from every <area>.<lang>.json; each key must start with `<area>.`."""
    catalogs: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for path in sorted(directory.glob("*.json")):
        area, _, lang = path.stem.rpartition(".")
        if lang not in LANGUAGES or not area:
            raise CatalogError(f"{path.name}: name it <area>.<zh|en>.json")
        entries = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(entries, dict):
            raise CatalogError(f"{path.name}: must be one JSON object of key -> text")
        for key, text in entries.items():
            if not key.startswith(f"{area}.") or not isinstance(text, str):
                raise CatalogError(f"{path.name}: {key!r} must start with '{area}.' and be text")
            if key in catalogs[lang]:
                raise CatalogError(f"{path.name}: {key!r} is defined twice")
            catalogs[lang][key] = text
    return catalogs


def missing_keys(catalogs: Mapping[str, Mapping[str, str]]) -> dict[str, list[str]]:
    """Per language, the keys another language has and it lacks (empty when complete)."""
    every = set().union(*(set(c) for c in catalogs.values()))
    return {lang: sorted(every - set(c)) for lang, c in catalogs.items() if every - set(c)}


def negotiate(query: str | None, cookie: str | None, accept: Mapping[str, float]) -> str:
    """The page's language: an explicit choice, then the remembered one, then the browser's."""
    for chosen in (query, cookie):
        if chosen in LANGUAGES:
            return str(chosen)
    best, weight = DEFAULT_LANGUAGE, 0.0
    for tag, quality in accept.items():
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES and quality > weight:
            best, weight = primary, quality
    return best


class Translator:
    def __init__(self, catalogs: Mapping[str, Mapping[str, str]]) -> None:
        self._catalogs = catalogs

    def text(self, lang: str, key: str, **values: object) -> str:
        """The text of `key` in `lang` ({name} placeholders filled); the key itself when missing,
        so a gap shows on the page instead of breaking it (the catalog tests catch gaps)."""
        template = self._catalogs.get(lang, {}).get(key)
        if template is None:
            template = self._catalogs.get(DEFAULT_LANGUAGE, {}).get(key, key)
        return template.format(**values) if values else template


TRANSLATOR_KEY = "gridplus.console.translator"


def current_language() -> str:
    return str(getattr(g, "lang", DEFAULT_LANGUAGE))


def t(key: str, **values: object) -> str:
    """`key` in the current request's language."""
    from flask import current_app

    translator: Translator = current_app.extensions[TRANSLATOR_KEY]
    return translator.text(current_language(), key, **values)


def init_app(app: Flask, catalogs: Mapping[str, Mapping[str, str]] | None = None) -> None:
    app.extensions[TRANSLATOR_KEY] = Translator(catalogs or load_catalogs())
    app.jinja_env.globals.update(t=t, current_language=current_language, LANGUAGES=LANGUAGES)

    @app.before_request
    def choose_language() -> None:
        accept = {tag: quality for tag, quality in request.accept_languages}
        g.lang = negotiate(request.args.get("lang"), request.cookies.get(LANG_COOKIE), accept)

    @app.after_request
    def remember_language(response: Response) -> Response:
        # An explicit ?lang= choice is kept for the next pages.
        chosen = request.args.get("lang")
        if chosen in LANGUAGES and request.cookies.get(LANG_COOKIE) != chosen:
            response.set_cookie(
                LANG_COOKIE, str(chosen), max_age=_YEAR, samesite="Lax", httponly=True
            )
        return response
