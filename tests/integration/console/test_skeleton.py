"""The console's own rules, before any service is called: the dev sign-in switch, the session
cookie, role gates and their refusal page, CSRF on POST, safe redirects, languages."""

from __future__ import annotations

from flask import Flask
from werkzeug.http import parse_cookie

from gridplus.console.app import create_app
from tests.integration.console.conftest import console_settings


def _session_cookie(response_headers: list[str]) -> str:
    return next(h for h in response_headers if h.startswith("gridplus_console="))


def test_dev_login_is_404_while_the_switch_is_off() -> None:
    app = create_app(console_settings(GRIDPLUS_CONSOLE_DEV_LOGIN="off"))
    client = app.test_client()
    assert client.get("/dev-login").status_code == 404
    assert client.get("/dev-login?role=grid_chief").status_code == 404
    # Nothing signed in: the home page still sends to /login.
    assert client.get("/").location == "/login"
    assert b"dev-login" not in client.get("/login").data


def test_dev_login_signs_in_the_roles_demo_person_and_lands_on_its_area(console: Flask) -> None:
    client = console.test_client()
    page = client.get("/dev-login")
    assert page.status_code == 200 and b"w-MN0502-1" in page.data
    signed = client.get("/dev-login?role=grid_worker")
    assert signed.status_code == 302
    cookie = _session_cookie(signed.headers.getlist("Set-Cookie"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # loopback: plain http for a developer
    assert client.get("/").location == "/work"


def test_the_session_cookie_is_secure_off_loopback(console: Flask) -> None:
    client = console.test_client()
    signed = client.get("/dev-login?role=grid_worker", base_url="https://console.example.org")
    assert "Secure" in _session_cookie(signed.headers.getlist("Set-Cookie"))


def test_an_unknown_role_signs_nobody_in(console: Flask) -> None:
    client = console.test_client()
    refused = client.get("/dev-login?role=mayor")
    assert refused.status_code == 404 and b"mayor" in refused.data
    assert client.get("/work").location.startswith("/login")


def test_a_resident_gets_the_refusal_page_in_the_page_language(console: Flask) -> None:
    client = console.test_client()
    client.get("/dev-login?role=resident")
    english = client.get("/work")
    assert english.status_code == 403 and b"Not for your role" in english.data
    chinese = client.get("/work?lang=zh")
    assert chinese.status_code == 403 and "您的角色无权使用此页" in chinese.text
    assert client.get("/triage").status_code == 403
    assert client.get("/").status_code == 403


def test_a_worker_may_not_open_triage(console: Flask) -> None:
    client = console.test_client()
    client.get("/dev-login?role=grid_worker")
    assert client.get("/triage").status_code == 403


def test_signed_out_pages_send_to_login_and_back(console: Flask) -> None:
    client = console.test_client()
    answer = client.get("/work?x=1")
    assert answer.status_code == 302 and answer.location == "/login?next=/work?x%3D1"


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(console: Flask) -> None:
    client = console.test_client()
    client.get("/dev-login?role=resident")
    refused = client.post("/logout")
    assert refused.status_code == 400 and b"form expired" in refused.data
    forged = client.post("/logout", headers={"X-CSRF-Token": "guess"})
    assert forged.status_code == 400
    assert client.get("/").status_code == 403  # still signed in
    with client.session_transaction() as session:
        token = session["csrf"]
    assert client.post("/logout", data={"csrf_token": token}).location == "/login"
    assert client.get("/").location == "/login"


def test_the_next_page_after_sign_in_stays_on_this_site(console: Flask) -> None:
    client = console.test_client()
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        answer = client.get("/dev-login", query_string={"role": "grid_worker", "next": target})
        assert answer.location == "/", target


def test_a_signed_in_session_from_before_is_replaced_at_sign_in(console: Flask) -> None:
    client = console.test_client()
    with client.session_transaction() as session:
        session["csrf"] = "planted-by-someone-else"
    client.get("/dev-login?role=grid_worker")
    with client.session_transaction() as session:
        assert session["csrf"] != "planted-by-someone-else"


def test_a_tampered_session_cookie_is_nobody(console: Flask) -> None:
    client = console.test_client()
    signed = client.get("/dev-login?role=admin")
    value = parse_cookie(_session_cookie(signed.headers.getlist("Set-Cookie")))["gridplus_console"]
    other = console.test_client()
    other.set_cookie("gridplus_console", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert other.get("/").location == "/login"


def test_pages_carry_a_strict_content_security_policy(console: Flask) -> None:
    answer = console.test_client().get("/login")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert answer.headers["Cache-Control"] == "no-store"
