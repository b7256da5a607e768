#!/usr/bin/env bash
# Builds Steward's libFuzzer targets (Fuzz/, docs/fuzzing.md) with
# -sanitize=fuzzer,address into .build-fuzz, and runs each for a bounded time
# on a copy of its committed seed corpus (Fuzz/corpus/<target>). Prints each
# target's executions per second and coverage (libFuzzer's final cov:/ft:),
# and fails if any target crashes, leaks, runs out of memory or times out:
# the input that did it is kept under .build-fuzz/artifacts/<target>/ and
# named in the output.
#
#   scripts/fuzz.sh [--seconds N] [--keep-corpus DIR] [target ...]
#
# --seconds N (or STEWARD_FUZZ_SECONDS): time per target, default 30.
# STEWARD_FUZZ_JOBS: targets run at once, default one per core.
# --keep-corpus DIR: keep what each run found in DIR/<target> (to grow the
#   committed corpus by hand: copy the inputs that add coverage, with
#   `fuzz-<target> -merge=1 Fuzz/corpus/<target> DIR/<target>`).
# Targets: frames, requests, csv-import, connection-text (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

seconds="${STEWARD_FUZZ_SECONDS:-30}"
keep=""
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --keep-corpus) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=(frames requests csv-import connection-text)

# Memory bounds that make a broken budget visible: no fuzzed input (at most
# 4 KiB) may make a single allocation larger than twice the daemon's
# per-message decoding budget (16 MiB), nor the process (ASan's shadow and
# quarantine included) grow past 1 GiB.
malloc_limit_mb=32
rss_limit_mb=1024
# An input that takes a second is a hang for code this size.
timeout_seconds=10
max_len=4096

scratch=.build-fuzz
mkdir -p "$scratch"
build_log="$scratch/build.log"
start=$(date +%s)
echo "fuzz: building ${targets[*]} with -sanitize=fuzzer,address (log: $build_log)"
build() {
  for target in "${targets[@]}"; do
    swift build --package-path Fuzz --scratch-path "$scratch" \
      -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product "fuzz-$target" || return 1
  done
}
if ! build >"$build_log" 2>&1; then
  grep -E "error:" "$build_log" | head -20 >&2 || tail -20 "$build_log" >&2
  echo "fuzz: the build failed" >&2
  exit 1
fi
bin="$(swift build --package-path Fuzz --scratch-path "$scratch" --show-bin-path)"
echo "fuzz: built in $(($(date +%s) - start)) s"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One target: its log in $scratch/<target>.log, libFuzzer's exit status in
# $work/<target>.status.
fuzz_target() {
  local target="$1" corpus="$work/corpus/$1" artifacts="$scratch/artifacts/$1" status=0 dictionary=()
  mkdir -p "$corpus" "$artifacts"
  cp "Fuzz/corpus/$target"/* "$corpus"/
  [[ -f Fuzz/dictionaries/$target.dict ]] && dictionary=(-dict="Fuzz/dictionaries/$target.dict")
  # Swift's own crash backtracer reads the stack in a way ASan reports as a
  # bug of its own; libFuzzer reports the crash and saves the input instead.
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
    "$bin/fuzz-$target" "$corpus" \
    -max_total_time="$seconds" -print_final_stats=1 -timeout="$timeout_seconds" \
    -rss_limit_mb="$rss_limit_mb" -malloc_limit_mb="$malloc_limit_mb" -max_len="$max_len" \
    -artifact_prefix="$artifacts/" "${dictionary[@]}" >"$scratch/$target.log" 2>&1 || status=$?
  echo "$status" >"$work/$target.status"
  if [[ -n $keep ]]; then mkdir -p "$keep/$target" && cp "$corpus"/* "$keep/$target"/; fi
}

# Each fuzzer is one thread: as many at once as there are cores
# (STEWARD_FUZZ_JOBS), so that the whole step takes about
# targets / jobs x seconds.
jobs="${STEWARD_FUZZ_JOBS:-$(nproc)}"
for target in "${targets[@]}"; do
  [[ -d Fuzz/corpus/$target ]] || { echo "fuzz: no seed corpus Fuzz/corpus/$target" >&2; exit 1; }
done
running=0
for target in "${targets[@]}"; do
  if ((running >= jobs)); then wait -n || true; running=$((running - 1)); fi
  fuzz_target "$target" &
  running=$((running + 1))
done
wait

failed=()
printf '%-16s %10s %8s %8s %8s %9s %s\n' target runs exec/s cov ft rss_mb result
for target in "${targets[@]}"; do
  log="$scratch/$target.log"
  status=$(cat "$work/$target.status" 2>/dev/null || echo missing)
  # libFuzzer's last status line ("#N DONE cov: C ft: F ...") and its final stats.
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
  rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log")
  rss=$(sed -nE 's/^stat::peak_rss_mb: *([0-9]+)/\1/p' "$log")
  result=ok
  if [[ $status != 0 ]]; then
    result="FAILED (exit $status)"
    failed+=("$target")
  fi
  printf '%-16s %10s %8s %8s %8s %9s %s\n' "$target" "${runs:--}" "${rate:--}" "${cov:--}" "${ft:--}" "${rss:--}" "$result"
  if [[ $status != 0 ]]; then
    grep -E "ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|Fatal error|fuzz property broken|Test unit written" "$log" \
      | head -8 | sed 's/^/  /' >&2
    echo "  full log: $log; replay: $bin/fuzz-$target <artifact>" >&2
  fi
done
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $jobs at a time, $(($(date +%s) - start)) s in all, the build included"
echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
if ((${#failed[@]})); then
  echo "fuzz: ${failed[*]} failed: make each saved input a regression test (docs/fuzzing.md), then fix the cause" >&2
  exit 1
fi
