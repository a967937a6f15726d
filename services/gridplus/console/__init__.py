"""The staff console: a stateless backend-for-frontend (Flask, server-side Jinja, small vanilla JS)
that calls the five services over gRPC with the signed-in user's bearer token.

It owns no data: no database, no topics. The services decide what a user may see and do; the
console only shows their answers and their refusals (see README.md next to this file).
"""
