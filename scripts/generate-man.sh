#!/usr/bin/env bash
# Writes the man pages under docs/man/ from the commands' own help, with
# ArgumentParser's GenerateManual plugin (one page per command and
# subcommand). `--check` regenerates into a scratch directory and fails if
# docs/man differs: CI runs it (scripts/test.sh), like check-generated.sh.
#
# The pages carry a fixed date, moved by hand with a release, so that
# regenerating unchanged help gives unchanged pages.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

MAN_DATE=2026-12-07
check=0
[[ ${1:-} == --check ]] && check=1

swift package --allow-writing-to-package-directory generate-manual \
  --configuration debug --multi-page --date "$MAN_DATE" >/dev/null
outputs=.build/plugins/GenerateManual/outputs
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
for target in steward stewardd; do
  cp "$outputs/$target"/*.1 "$fresh/"
done

if ((check)); then
  if ! diff -r -q docs/man "$fresh" >/dev/null; then
    echo "error: docs/man is out of date; run scripts/generate-man.sh and commit the result:" >&2
    diff -r docs/man "$fresh" | head -40 >&2
    exit 1
  fi
  echo "generate-man.sh: docs/man matches the commands' help"
else
  rm -rf docs/man
  mkdir -p docs/man
  cp "$fresh"/*.1 docs/man/
  echo "generate-man.sh: wrote $(ls docs/man | wc -l) pages to docs/man"
fi
