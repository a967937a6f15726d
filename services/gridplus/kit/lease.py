"""A lease for "only one replica does X" (publish the outbox, export a database-wide gauge): a
row per lease name in the service's database with its holder, a fencing token and an expiry.

- `keep()` is the call of every tick: renew the lease if this holder has it, else take it when it
  is free or expired. Taking it increments the token, so a holder that lost it (it stalled, lost
  its database connection, its node died) can never renew it again. `keep_fresh()` renews only
  once a fraction of the ttl has passed, for callers that tick many times a second.
- `fence(session)` runs inside the caller's own transaction and fails with `LeaseLost` unless the
  lease is still this holder's: the write that records the work (the outbox's "sent" marks)
  commits only while the lease is held. On PostgreSQL the conditional UPDATE waits for a
  concurrent taker's row lock, so the check and the write cannot be split by a takeover.
- `release()` hands it over at once (shutdown, rollout, broker unreachable).

Expiry is judged on the injected clock: the ttl must exceed the clock skew between replicas
(NTP keeps pods within milliseconds; the defaults use seconds). A holder that dies is replaced
within one ttl; nothing is held by a connection, so a database failover or a half-open TCP
connection cannot keep a lease alive. On SQLite (one process) the same rows work unchanged.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    String,
    Table,
    bindparam,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from gridplus.kit.clock import Clock, as_utc
from gridplus.kit.db import SessionFactory, UtcDateTime, insert_for, transaction
from gridplus.kit.tables import kit_metadata

log = logging.getLogger(__name__)

leases = Table(
    "kit_leases",
    kit_metadata,
    Column("name", String(200), primary_key=True),
    Column("holder", String(200)),
    Column("token", BigInteger, nullable=False, server_default=text("0")),
    Column("expires_at", UtcDateTime, nullable=False),
)

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)
# Built once: the outbox relay fences every batch it marks sent with it.
_EXTEND = (
    update(leases)
    .where(
        leases.c.name == bindparam("lease"),
        leases.c.holder == bindparam("by"),
        leases.c.token == bindparam("fencing_token"),
    )
    .values(expires_at=bindparam("until"))
)


class LeaseLost(RuntimeError):
    """The lease is no longer this holder's: the work it guarded must not be recorded."""


def new_holder_id(prefix: str = "") -> str:
    """A holder id unique to this process instance (a restarted pod is a new holder)."""
    suffix = uuid.uuid4().hex[:12]
    return f"{prefix}-{suffix}" if prefix else suffix


class Lease:
    def __init__(
        self,
        sessions: SessionFactory,
        name: str,
        holder: str,
        ttl: timedelta,
        clock: Clock,
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError("a lease needs a positive ttl")
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self._sessions = sessions
        self._clock = clock
        self._token: int | None = None
        self._valid_until = _NEVER
        self._row_exists = False

    @property
    def token(self) -> int | None:
        """The fencing token while this holder has the lease, else None."""
        return self._token

    @property
    def held(self) -> bool:
        """Held as far as this holder knows: taken or renewed less than one ttl ago."""
        return self._token is not None and self._clock.now() < self._valid_until

    def keep(self) -> bool:
        """Renew the lease if held, else try to take it; True while this holder has it."""
        if self._token is not None and self.renew():
            return True
        return self.acquire()

    def keep_fresh(self, renew_after: float = 0.25) -> bool:
        """`keep()`, but a lease renewed less than `renew_after` of its ttl ago is kept without
        a database write: its row cannot expire, nor be taken, for at least the rest of that
        ttl. A caller that ticks many times a second (the outbox relay) writes once per
        `renew_after` ttl, and holds ≥ (1 - renew_after) of a ttl whenever this returns True."""
        return self._fresh(renew_after) or self.keep()

    def renew_if_due(self, renew_after: float = 0.25) -> bool:
        """`renew()` once `renew_after` of the ttl has passed since the last one; True while
        the lease is this holder's, with ≥ (1 - renew_after) of a ttl left."""
        return self._fresh(renew_after) or self.renew()

    def _fresh(self, renew_after: float) -> bool:
        if not 0 <= renew_after < 1:
            raise ValueError("renew_after is a fraction of the ttl, in [0, 1)")
        left = self._valid_until - self._clock.now()
        return self._token is not None and left > self.ttl * (1 - renew_after)

    def acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours; True if this holder has it."""
        self._ensure_row()
        now = self._clock.now()
        with transaction(self._sessions) as session:
            row = session.execute(
                select(leases.c.holder, leases.c.token, leases.c.expires_at)
                .where(leases.c.name == self.name)
                .with_for_update()
            ).one()
            ours = row.holder == self.holder and row.token == self._token
            # Another holder's unexpired lease is refused. Our own row under a token we no
            # longer know (we forgot it in a database outage) is taken back at once, with a new
            # token that fences whatever that earlier turn left in flight.
            if row.holder not in (None, self.holder) and as_utc(row.expires_at) > now:
                self._lost()
                return False
            token = row.token if ours else row.token + 1
            session.execute(
                update(leases)
                .where(leases.c.name == self.name)
                .values(holder=self.holder, token=token, expires_at=now + self.ttl)
            )
        if not ours:
            log.info("lease taken", extra={"lease": self.name, "holder": self.holder})
        self._token, self._valid_until = token, now + self.ttl
        return True

    def renew(self) -> bool:
        """Extend the lease if it is still ours (same holder, same token); False if lost."""
        with transaction(self._sessions) as session:
            return self._extend(session)

    def fence(self, session: Session | Connection) -> None:
        """Inside the caller's transaction: extend the lease or raise `LeaseLost`, so what the
        transaction writes commits only while the lease is this holder's."""
        if not self._extend(session):
            raise LeaseLost(f"lease {self.name} is no longer held by {self.holder}")

    def release(self) -> None:
        """Give the lease up at once so another replica takes it without waiting for expiry."""
        token, self._token = self._token, None
        if token is None:
            return
        with transaction(self._sessions) as session:
            session.execute(
                update(leases)
                .where(
                    leases.c.name == self.name,
                    leases.c.holder == self.holder,
                    leases.c.token == token,
                )
                .values(holder=None, expires_at=self._clock.now())
            )
        log.info("lease released", extra={"lease": self.name, "holder": self.holder})

    def forget(self) -> None:
        """Stop counting on the lease without touching the database (it may be unreachable);
        the row expires after its ttl."""
        self._lost()

    def _extend(self, session: Session | Connection) -> bool:
        if self._token is None:
            return False
        now = self._clock.now()
        result = session.execute(
            _EXTEND,
            {
                "lease": self.name,
                "by": self.holder,
                "fencing_token": self._token,
                "until": now + self.ttl,
            },
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            log.warning("lease lost", extra={"lease": self.name, "holder": self.holder})
            self._lost()
            return False
        self._valid_until = now + self.ttl
        return True

    def _lost(self) -> None:
        self._token = None
        self._valid_until = _NEVER

    def _ensure_row(self) -> None:
        if self._row_exists:
            return
        with transaction(self._sessions) as session:
            session.execute(
                insert_for(session, leases)
                .values(name=self.name, holder=None, token=0, expires_at=_NEVER)
                .on_conflict_do_nothing(index_elements=["name"])
            )
        self._row_exists = True
