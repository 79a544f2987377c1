#!/usr/bin/env bash
# Benchmarks on big PostgreSQL databases (internal/bench): seeds 5,000 DAGs and
# 1,000,000 runs, measures every figure next to its baseline (plus the 10,000-date
# backfill on MariaDB for the MySQL dialect), and prints one
# markdown table with the machine it ran on. Takes about 4 minutes.
# The start-up rows include package initialisation (GODEBUG=inittrace=1), also of a baseline build.
#   scripts/bench.sh            # table on stdout, raw `go test` output in /tmp/dagctl-bench.txt
#   BENCH_BASELINE=<git rev> scripts/bench.sh   # start-up rows also for that revision's build
#   BENCH=Startup scripts/bench.sh              # only the start-up of `dagctl version` (seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
out=$(mktemp)
raw=${BENCH_RAW:-/tmp/dagctl-bench.txt}
base=""
trap 'rm -f "$out"; [ -z "$base" ] || rm -rf "$base"' EXIT

# The baseline: that revision's dagctl, built like `make build`, measured in turn with this one.
if [ -n "${BENCH_BASELINE:-}" ]; then
  base=$(mktemp -d)
  git archive "$BENCH_BASELINE" | tar -x -C "$base"
  (cd "$base" && CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o "$base/dagctl-baseline" ./cmd/dagctl)
  export DAGCTL_BENCH_BASELINE="$BENCH_BASELINE" DAGCTL_BENCH_BASELINE_BIN="$base/dagctl-baseline"
fi

DAGCTL_BENCH=1 DAGCTL_BENCH_OUT="$out" CGO_ENABLED=0 \
  "$GO" test -count=1 -run '^$' -bench "${BENCH:-.}" -benchtime 1x -timeout 40m ./internal/bench >"$raw" 2>&1 || {
  tail -40 "$raw" >&2
  echo "bench: go test failed; full output in $raw" >&2
  exit 1
}

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pgver=$("${pgbin:-/usr/bin}/postgres" --version 2>/dev/null || echo "PostgreSQL (unknown)")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
myver=$( (mariadbd --version || /usr/sbin/mariadbd --version) 2>/dev/null | head -1 || true)
echo "Machine: $(nproc) cores, ${cpu:-unknown CPU}, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM;" \
  "$pgver (dbtest's private cluster: fsync off, unix socket); ${myver:-no MariaDB} (MySQL figures); $("$GO" version | cut -d' ' -f3); load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Run: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo none). Medians of 5 runs (start-up: 10; dagctl version and its package init: 20, in turn with the baseline when there is one)."
echo
echo "| figure | value | unit | target | verdict | note |"
echo "|---|---:|---|---|---|---|"
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, ($4 == "" ? "-" : $4), $5, $6 }' "$out"
