# The tool versions Steward is built, generated and tested with: one place,
# sourced by setup.sh (which installs and then checks them) and by
# generate-protos.sh (which refuses other compilers, since their output
# differs and check-generated.sh would then fail, or worse, pass with code
# nobody reviewed). Debian 12's versions; the Debian revision suffix
# (-3+deb12u1) is not pinned, so that security updates still install.
#
# Sourced, not run.

# Upstream version prefixes that `dpkg-query -W -f='${Version}'` must start with.
declare -A STEWARD_APT_VERSIONS=(
  [protobuf-compiler]="3.21.12-"
  [protobuf-c-compiler]="1.4.1-"
  [libprotobuf-c-dev]="1.4.1-"
  [libsqlite3-dev]="3.40.1-"
  [libpq-dev]="15."
)

# What the compilers print for --version (first line).
STEWARD_PROTOC_VERSION="libprotoc 3.21.12"
STEWARD_PROTOC_C_VERSION="protobuf-c 1.4.1"

# Python's protobuf package, which runs the Swift message generator
# (scripts/protoc-gen-steward-swift) and the Python client's tests.
STEWARD_PYTHON_PROTOBUF_VERSION="7.36.2"

# steward_check_versions: prints each tool whose version is not the pinned
# one; returns 1 when there is any.
steward_check_versions() {
  local bad=0 package installed line
  for package in "${!STEWARD_APT_VERSIONS[@]}"; do
    installed=$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null || true)
    if [[ $installed != "${STEWARD_APT_VERSIONS[$package]}"* ]]; then
      echo "  $package ${installed:-not installed}, need ${STEWARD_APT_VERSIONS[$package]}*" >&2
      bad=1
    fi
  done
  steward_check_generator_versions || bad=1
  return $bad
}

# steward_check_generator_versions: the code generators only (no dpkg), for
# generate-protos.sh.
steward_check_generator_versions() {
  local bad=0 line
  line=$(protoc --version 2>/dev/null | head -n1 || true)
  if [[ $line != "$STEWARD_PROTOC_VERSION" ]]; then
    echo "  protoc: ${line:-not found}, need $STEWARD_PROTOC_VERSION" >&2
    bad=1
  fi
  line=$(protoc-c --version 2>/dev/null | head -n1 || true)
  if [[ $line != "$STEWARD_PROTOC_C_VERSION" ]]; then
    echo "  protoc-c: ${line:-not found}, need $STEWARD_PROTOC_C_VERSION" >&2
    bad=1
  fi
  line=$(python3 -c 'import google.protobuf as p; print(p.__version__)' 2>/dev/null || true)
  if [[ $line != "$STEWARD_PYTHON_PROTOBUF_VERSION" ]]; then
    echo "  python protobuf: ${line:-not installed}, need $STEWARD_PYTHON_PROTOBUF_VERSION" >&2
    bad=1
  fi
  return $bad
}
