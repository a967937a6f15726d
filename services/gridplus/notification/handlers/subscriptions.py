"""Webhook subscriptions: checked when made (form, known event types, a public destination),
listed per owner, removed; creating and removing are applied once per request id."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from gridplus.kit.clock import Clock
from gridplus.kit.db import SessionFactory, transaction
from gridplus.kit.egress import EgressGuard, EgressRefused, HostUnresolved
from gridplus.kit.errors import FieldViolation, InvalidArgument, NotFound
from gridplus.kit.idempotency import caller_scope, run_once
from gridplus.kit.roles import Principal, Role
from gridplus.kit.text import offending_character
from gridplus.notification.domain.webhooks import MAX_URL, Subscription, may_manage
from gridplus.notification.handlers import request_key
from gridplus.notification.storage import subscriptions

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Created:
    subscription: Subscription
    secret: str  # shown once: the receiver verifies signatures with it


class Subscriptions:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        *,
        egress: EgressGuard,
        event_types: Collection[str],
        new_secret: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._egress = egress
        self._event_types = frozenset(event_types)  # every type a subscriber may ask for
        self._new_secret = new_secret

    def create(
        self, principal: Principal, *, url: str, event_types: Sequence[str], request_id: str = ""
    ) -> Created:
        """Store a subscription; a retry with the same request id answers the same one (and
        its secret) and stores nothing."""
        key = request_key(request_id)
        self._check(url, event_types)

        def store(session: Session) -> dict[str, str]:
            made = subscriptions.create(
                session,
                owner_id=principal.subject,
                url=url,
                secret=self._new_secret(),
                event_types=list(event_types),
                now=self._clock.now(),
            )
            return {"id": str(made.id)}

        answer, _ = run_once(
            self._sessions,
            self._clock,
            scope=caller_scope("CreateWebhookSubscription", principal.subject),
            key=key,
            request={"url": url, "event_types": sorted(set(event_types))},
            action=store,
        )
        with transaction(self._sessions) as session:
            # The secret is kept with the subscription only, never in a stored answer.
            made = subscriptions.get(session, uuid.UUID(answer["id"]), deleted_too=True)
        if made is None:  # pragma: no cover - subscriptions are removed softly, never erased
            raise NotFound(f"no webhook subscription {answer['id']}")
        return Created(made, made.secret)

    def visible_to(self, principal: Principal) -> list[Subscription]:
        """Admins see every subscription, other operators their own."""
        owner = None if principal.role == Role.ADMIN else principal.subject
        with transaction(self._sessions) as session:
            return subscriptions.get_all(session, owner_id=owner)

    def delete(
        self, principal: Principal, subscription_id: uuid.UUID, *, request_id: str = ""
    ) -> None:
        """Remove a subscription: its pending deliveries fail as unsubscribed. A retry with the
        same request id succeeds again and changes nothing."""

        def remove(session: Session) -> dict[str, str]:
            found = subscriptions.get(session, subscription_id)
            if found is None or not may_manage(principal, found):
                raise NotFound(f"no webhook subscription {subscription_id}")
            subscriptions.delete(session, subscription_id, now=self._clock.now())
            return {}

        run_once(
            self._sessions,
            self._clock,
            scope=caller_scope("DeleteWebhookSubscription", principal.subject),
            key=request_key(request_id),
            request={"id": str(subscription_id)},
            action=remove,
        )

    def _check(self, url: str, event_types: Sequence[str]) -> None:
        violations = [FieldViolation("url", why) for why in self._url_problems(url)]
        if not event_types:
            violations.append(FieldViolation("event_types", "at least one event type"))
        for index, event_type in enumerate(event_types):
            if event_type not in self._event_types:
                violations.append(
                    FieldViolation(f"event_types[{index}]", f"unknown event type {event_type!r}")
                )
        if violations:
            raise InvalidArgument(violations)

    def _url_problems(self, url: str) -> list[str]:
        """What is wrong with a webhook URL: its form, or where it leads (resolved now; the
        worker checks again at every delivery, as the name may later resolve elsewhere)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return ["must be an absolute http or https URL"]
        if len(url) > MAX_URL:
            return [f"at most {MAX_URL} characters"]
        bad = offending_character(url)
        if bad is not None:
            return [f"must not contain U+{ord(bad):04X}: control or bidi characters"]
        try:
            self._egress.check_url(url)
        except EgressRefused as exc:
            return [str(exc)]
        except HostUnresolved as exc:
            return [f"{exc}; give a host name that resolves"]
        return []
