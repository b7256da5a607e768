#!/usr/bin/env bash
# The install command (scripts/install.sh) run into a temporary prefix with
# the debug build already made, then what was installed used from there:
# `steward --help`, a man page read with `man -l`, a bash completion loaded
# and asked for candidates, and the unit files pointed at the prefix.
# Run by scripts/test.sh after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "test-install.sh: $*" >&2; exit 1; }

bash scripts/install.sh --prefix "$prefix" --bin-dir "$(swift build --show-bin-path)" >/dev/null

# Captured first: `grep -q` closing the pipe early would fail the command under pipefail.
help=$("$prefix/bin/steward" --help) || fail "steward --help from the prefix failed"
grep -q "^USAGE: steward" <<<"$help" || fail "steward --help from the prefix printed no usage"
help=$("$prefix/bin/stewardd" --help) || fail "stewardd --help from the prefix failed"
grep -q -- "--system" <<<"$help" || fail "stewardd --help from the prefix does not list --system"

page=$(MANWIDTH=100 man -l "$prefix/share/man/man1/stewardd.1" 2>&1) || fail "man -l stewardd.1 failed: $page"
grep -q "socket" <<<"$page" || fail "the stewardd man page does not render its options: $page"
[[ -f $prefix/share/man/man1/steward.connection.register.1 ]] || fail "no page for steward connection register"

# Load the bash completion as bash-completion would, and ask it what may follow
# `steward conn`: the generated function must offer `connection`.
candidates=$(bash -c '
  source "$1"
  COMP_WORDS=(steward conn); COMP_CWORD=1; COMP_LINE="steward conn"; COMP_POINT=${#COMP_LINE}
  func=$(complete -p steward | sed -E "s/.*-F ([^ ]+).*/\1/")
  "$func" steward conn steward
  printf "%s\n" "${COMPREPLY[@]}"
' _ "$prefix/share/bash-completion/completions/steward") || fail "loading the bash completion failed"
grep -qx "connection" <<<"$candidates" || fail "bash completion of 'steward conn' offered: $candidates"
[[ -s $prefix/share/zsh/site-functions/_steward ]] || fail "no zsh completion"
[[ -s $prefix/share/fish/vendor_completions.d/stewardd.fish ]] || fail "no fish completion"

grep -q "^ExecStart=$prefix/bin/stewardd --system$" "$prefix/lib/systemd/system/stewardd.service" ||
  fail "the installed unit does not start $prefix/bin/stewardd"
# The Python client installs cleanly: nothing left untracked in the tree,
# and the installed package carries its py.typed marker.
site=$prefix/python
untracked() { git status --porcelain --untracked-files=all -- clients/python | grep '^??' || true; }
before=$(untracked)
python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$site" ./clients/python 2>/dev/null
after=$(untracked)
[[ $before == "$after" ]] || fail "pip install ./clients/python left untracked files: $(comm -13 <(echo "$before") <(echo "$after"))"
[[ -f $site/steward_client/py.typed ]] || fail "the installed Python client has no py.typed"
PYTHONPATH=$site python3 -c 'import steward_client' || fail "the installed Python client does not import"

echo "test-install.sh: installed into a temporary prefix; --help, man -l, bash completion and units checked"
