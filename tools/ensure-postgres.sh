#!/usr/bin/env bash
# Make sure the PostgreSQL the tests use (127.0.0.1:5432) is up; start the machine's cluster if not.
set -euo pipefail
if pg_isready -q -h 127.0.0.1 -p 5432; then exit 0; fi
echo "PostgreSQL is not answering on 127.0.0.1:5432; starting the local cluster"
pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 0.2; done
echo "PostgreSQL did not start" >&2; exit 1
