#!/usr/bin/env bash
# Installs what building and testing Steward needs on Debian 12 that has only
# the Swift toolchain: the C libraries (protobuf-c, libpq, SQLite), the
# protobuf compilers used to check generated code, and Python's protobuf
# package for the Swift message generator. Safe to run again.
#
# Versions are pinned in scripts/versions.sh: Python's protobuf exactly (pip
# ==), the Debian packages by upstream version (apt installs Debian 12's, and
# any other found after installing is refused).
set -euo pipefail

# shellcheck source=scripts/versions.sh
source "$(dirname "$0")/versions.sh"

packages=(pkg-config libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libpq-dev libsqlite3-dev passwd util-linux procps man-db)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

installed=$(python3 -c 'import google.protobuf as p; print(p.__version__)' 2>/dev/null || true)
if [[ $installed != "$STEWARD_PYTHON_PROTOBUF_VERSION" ]]; then
  echo "setup: installing Python's protobuf $STEWARD_PYTHON_PROTOBUF_VERSION (found: ${installed:-none})" >&2
  python3 -m pip install --quiet --disable-pip-version-check "protobuf==$STEWARD_PYTHON_PROTOBUF_VERSION"
fi

if ! steward_check_versions; then
  echo "setup: the versions above are not the ones Steward is pinned to (scripts/versions.sh);" \
    "install those, or update the pins together with the generated code" >&2
  exit 1
fi

command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || { echo "setup: the Swift toolchain is not on PATH (expected /opt/swift/usr/bin)" >&2; exit 1; }
