"""The petition service's use cases: load, let the domain decide, store the petition, its history
and its events (outbox) in the caller's unit of work. Storage does every query; the domain every
decision.

- `deps`: what the use cases need (`Deps`), publishing what an aggregate recorded, key scopes
- `intake`: submitting a petition with its contact and photos, once per key
- `queries`: a petition as one caller may see it, lists, history, photos, possible duplicates
- `staff`: staff commands (verify, reject, merge, resolve, reopen, note, publication), once per
  request id
- `reactions`: what dispatch's and evaluation's events change on a petition
- `personal_data`: reporters' contacts for notification; erasing a resident's data
- `visits`: petitions raised by a household visit's findings (dispatch's VisitRecorded)
"""
