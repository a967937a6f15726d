"""My work: a grid worker's assignments by light and deadline and what they do with a petition
(accept, verify, resolve, reject, merge, transfer, refuse, pause/resume the clock, notes); chiefs
and departments see the work their scope holds. Every action is the service's call."""

from gridplus.console.work.routes import blueprint

__all__ = ["blueprint"]
