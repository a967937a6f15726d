"""Evaluation's use cases: load through storage, let the domain decide and record its events,
save and publish them in the same transaction. Mutations take the session factory: kit
`run_once` opens their unit of work and applies a retried request_id once. Reads take the
caller's session. Read side: `scorecards` (scorecards, rankings),
`hotspots` (hot spots, rising categories, repeat locations), `coverage` (households visited
and care visits on scorecards), `digests` (the weekly grid digest: built, and published once
per grid and week)."""

from gridplus.evaluation.handlers import coverage, digests, hotspots, scorecards
from gridplus.evaluation.handlers.assessments import Assessments
from gridplus.evaluation.handlers.follow_up import FollowUps, FollowUpView
from gridplus.evaluation.handlers.time_bank import TimeBank

__all__ = [
    "Assessments",
    "FollowUpView",
    "FollowUps",
    "TimeBank",
    "coverage",
    "digests",
    "hotspots",
    "scorecards",
]
