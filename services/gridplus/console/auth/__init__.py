"""Signing in and out: /login (the city's identity provider), /logout, and the development
sign-in /dev-login."""

from gridplus.console.auth.routes import blueprint

__all__ = ["blueprint"]
