#!/usr/bin/env bash
# Sets up and runs stewardd in the foreground on its embedded defaults
# (state in $XDG_STATE_HOME/steward or ~/.local/state/steward). Extra
# arguments go to stewardd; try --help.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/setup.sh
swift build -c release --product stewardd
exec .build/release/stewardd "$@"
