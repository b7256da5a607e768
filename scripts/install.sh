#!/usr/bin/env bash
# Installs Steward: `bash scripts/install.sh [--prefix DIR]` (default /usr/local).
#
#   DIR/bin/steward, DIR/bin/stewardd           release build (swift build -c release)
#   DIR/lib/systemd/system/stewardd.{service,socket}   ExecStart= pointed at DIR/bin
#   DIR/share/man/man1/*.1                       from docs/man (scripts/generate-man.sh)
#   DIR/share/bash-completion/completions/steward, stewardd
#   DIR/share/zsh/site-functions/_steward, _stewardd
#   DIR/share/fish/vendor_completions.d/steward.fish, stewardd.fish
#
# The completions come from the installed binaries themselves
# (ArgumentParser's --generate-completion-script), so they always match.
# --bin-dir DIR installs binaries already built there instead of building
# (the test script installs its debug build this way).
# --system-account also creates the steward user and group the system
# daemon runs as (root only; the unit files expect them).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local
bin_dir=""
system_account=0
while (($#)); do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --bin-dir) bin_dir=${2:?--bin-dir needs a directory}; shift 2 ;;
    --system-account) system_account=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (use --prefix DIR, --bin-dir DIR, --system-account)" >&2; exit 64 ;;
  esac
done
case $prefix in /*) ;; *) prefix="$PWD/$prefix" ;; esac

if [[ -z $bin_dir ]]; then
  command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
  swift build -c release --product steward
  swift build -c release --product stewardd
  bin_dir=$(swift build -c release --show-bin-path)
fi
for tool in steward stewardd; do
  [[ -x $bin_dir/$tool ]] || { echo "install.sh: no $tool in $bin_dir" >&2; exit 1; }
done

install -d "$prefix/bin" "$prefix/lib/systemd/system" "$prefix/share/man/man1" \
  "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions" \
  "$prefix/share/fish/vendor_completions.d"
install -m 0755 "$bin_dir/steward" "$bin_dir/stewardd" "$prefix/bin/"

for unit in stewardd.service stewardd.socket; do
  sed "s|/usr/local/bin/stewardd|$prefix/bin/stewardd|" "contrib/systemd/$unit" >"$prefix/lib/systemd/system/$unit"
  chmod 0644 "$prefix/lib/systemd/system/$unit"
done

install -m 0644 docs/man/*.1 "$prefix/share/man/man1/"

for tool in steward stewardd; do
  "$prefix/bin/$tool" --generate-completion-script bash >"$prefix/share/bash-completion/completions/$tool"
  "$prefix/bin/$tool" --generate-completion-script zsh >"$prefix/share/zsh/site-functions/_$tool"
  "$prefix/bin/$tool" --generate-completion-script fish >"$prefix/share/fish/vendor_completions.d/$tool.fish"
done

if ((system_account)); then
  getent group steward >/dev/null || groupadd --system steward
  getent passwd steward >/dev/null ||
    useradd --system --gid steward --no-create-home --home-dir /var/lib/steward --shell /usr/sbin/nologin steward
fi

echo "install.sh: installed steward and stewardd into $prefix"
