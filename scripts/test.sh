#!/usr/bin/env bash
# Sets up and runs every test: installs what is missing, checks that the
# generated protobuf code matches proto/, builds, runs the fuzz targets for a
# bounded time, and runs the unit and integration suites: integration tests
# start real daemons on real sockets and use the real PostgreSQL servers that
# scripts/postgres-servers.sh installs and starts here.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/setup.sh
bash scripts/check-generated.sh
# Real PostgreSQL 15, 16, 17 (plain and TLS) and 18 for the integration tests.
bash scripts/postgres-servers.sh start
eval "$(bash scripts/postgres-servers.sh env)"
swift build --build-tests
# The man pages under docs/man match the commands' help; the install
# command works into a temporary prefix (and what it installed works).
bash scripts/generate-man.sh --check
bash scripts/test-install.sh
# The Python client (clients/python, standard library unittest) against the
# stewardd just built: a few seconds, so before the long Swift suites.
STEWARD_STEWARDD="$(swift build --show-bin-path)/stewardd" \
    python3 -m unittest discover -s clients/python/tests -t clients/python
# Coverage-guided fuzzing (docs/fuzzing.md): the libFuzzer targets built with
# -sanitize=fuzzer,address into .build-fuzz and run for a bounded time each
# (STEWARD_FUZZ_SECONDS, default 30) on a copy of their seed corpus; a crash,
# leak, timeout or broken property fails the run. Before the Swift suites, so
# that their summary stays the last line.
bash scripts/fuzz.sh
# One test at a time: several suites assert that something happens by a
# deadline, and on a two-core machine a neighbour building 10,000 tables
# would make those measure the neighbour (serial: ~45 s; parallel: ~10 s).
swift test --skip-build --no-parallel
