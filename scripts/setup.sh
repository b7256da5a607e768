#!/usr/bin/env bash
# Installs what building and testing Steward needs on Debian 12 that has only
# the Swift toolchain: the C libraries (protobuf-c, libpq, SQLite), the
# protobuf compilers used to check generated code, and Python's protobuf
# package for the Swift message generator. Safe to run again.
set -euo pipefail

packages=(pkg-config libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libpq-dev libsqlite3-dev passwd util-linux procps)

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

# 4.21 or later: the Python client (clients/python) needs it.
if ! python3 -c 'import sys, google.protobuf as p; sys.exit(tuple(map(int, p.__version__.split(".")[:2])) < (4, 21))' 2>/dev/null; then
  echo "setup: installing the Python protobuf package" >&2
  python3 -m pip install --quiet --disable-pip-version-check 'protobuf>=4.21'
fi

command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || { echo "setup: the Swift toolchain is not on PATH (expected /opt/swift/usr/bin)" >&2; exit 1; }
