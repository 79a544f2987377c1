#!/usr/bin/env bash
# A five-minute tour of dagctl on a throwaway Airflow database (no Airflow,
# no server, no network): `make demo`, or scripts/demo.sh path/to/dagctl.
set -euo pipefail

BIN=${1:-bin/dagctl}
if [[ ! -x $BIN ]]; then
	echo "demo: $BIN is not an executable; run 'make demo' or pass the binary" >&2
	exit 1
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

DEMO_DIR=.demo
rm -rf "$DEMO_DIR"

# The acting user recorded in backfills and run notes; the demo never guesses it.
export DAGCTL_USER=demo
# Only the sandbox's own settings count, whatever the caller's environment says.
unset DAGCTL_DB DAGCTL_CONTEXT DAGCTL_CONFIG AIRFLOW__DATABASE__SQL_ALCHEMY_CONN AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD

bold=$'\033[1m' reset=$'\033[0m'
if [[ ! -t 1 || -n ${NO_COLOR:-} ]]; then bold='' reset=''; fi

# step prints the command as a user would type it (quoted where needed), then runs it.
step() {
	local shown='' a
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./:=@+-]+$ ]]; then shown+=" $a"; else shown+=" '$a'"; fi
	done
	printf '\n%s$ dagctl%s%s\n' "$bold" "$shown" "$reset"
	"$BIN" "$@"
}

printf '%s$ dagctl sandbox init %s/airflow.db%s\n' "$bold" "$DEMO_DIR" "$reset"
DB=$("$BIN" sandbox init "$DEMO_DIR/airflow.db" -o name)
export DAGCTL_DB=$DB
printf '%s\n\n# every command below reads DAGCTL_DB=%s\n' "$DB" "$DB"

step doctor
step dags list
step runs create --dag-id fx_daily_cron --prefix demo --start-date 2024-01-01 --end-date 2024-01-03 --dry-run
step runs create --dag-id fx_daily_cron --prefix demo --start-date 2024-01-01 --end-date 2024-01-03
step runs list --dag-id fx_daily_cron --prefix demo

# The operator's daily verbs: pause and unpause, mark a run, and see what a clear would reset.
step dags pause fx_daily_cron fx_hourly
step dags unpause --pattern 'fx_(daily_cron|hourly)' --dry-run
step dags unpause fx_daily_cron fx_hourly
step runs set-state demo_0000002_2024-01-02T00:00:00+00:00 --dag-id fx_daily_cron --state failed
step runs clear --dag-id fx_daily_cron --start-date 2024-01-01 --end-date 2024-01-03 --state failed --dry-run

# CI and cron: follow runs to their end; the exit code is the outcome (0 success, 1 failed, 124 timeout).
# No scheduler runs here, so the failed run ends it at once, and the queued ones would wait.
printf '\n%s$ dagctl runs wait demo_0000002_2024-01-02T00:00:00+00:00 --dag-id fx_daily_cron --timeout 10s; echo "exit $?"%s\n' "$bold" "$reset"
code=0
"$BIN" runs wait demo_0000002_2024-01-02T00:00:00+00:00 --dag-id fx_daily_cron --timeout 10s || code=$?
echo "exit $code"

step backfill create --dag-id fx_daily_cron --start-date 2024-03-04 --end-date 2024-03-10 --description "demo week"
BACKFILL=$("$BIN" backfill list --dag-id fx_daily_cron -o name | head -n 1)
step backfill get "$BACKFILL" --runs
step backfill list

printf '\n# done: the sandbox is %s/airflow.db; try  DAGCTL_DB=%s dagctl runs list -o json\n' "$DEMO_DIR" "$DB"
