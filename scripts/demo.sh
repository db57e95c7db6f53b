#!/usr/bin/env bash
# The main job, on a local stack: build pgdrill, start a source PostgreSQL 15 archiving
# into a pgBackRest repository on a local S3 server (TLS), take a backup, and run a whole
# restore drill under Patroni + etcd as in patroni-examples/, then a pass of pgdrill-fleet over
# two Patroni clusters in etcd (their drills under Patroni too). Everything runs on loopback
# in a temporary directory and is stopped at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${PGDRILL_BUILD_DIR:-$here/build}

"$here/scripts/install-deps.sh"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPGDRILL_SANITIZE=OFF -DPGDRILL_INTEGRATION=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
PGDRILL_BUILD_DIR=$build exec /usr/bin/python3 "$here/scripts/demo.py"
