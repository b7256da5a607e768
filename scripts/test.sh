#!/usr/bin/env bash
# Sets up and runs every test: installs what is missing, checks that the
# generated protobuf code matches proto/, builds, and runs the unit and
# integration suites (integration tests start real daemons on real sockets).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/setup.sh
bash scripts/check-generated.sh
swift build --build-tests
swift test --skip-build
