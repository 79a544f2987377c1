package integration

import (
	"testing"
)

// runs set-state writes what Airflow's set_dag_run_state_to_success/_failed/
// _queued wrote in the ops-mark-* reference files (the REST PATCH of a dag
// run), on 2.10.5 and 3.0.3: a failed and a never-started run marked
// success, finished runs queued, running runs marked failed and success.
func TestRunsSetStateMatchesAirflow(t *testing.T) {
	mark := func(dag, run, state string) []string {
		return []string{"runs", "set-state", run, "--dag-id", dag, "--state", state}
	}
	sleep := "fx_sleep_work"
	cases := map[string]opsCase{
		"2.10.5/mark-success": {release: "2.10.5", before: "ops-mark-success.before", after: "ops-mark-success.after", cmds: [][]string{
			mark(opsDag, "manual__2024-02-02T00:00:00+00:00", "success"), mark(opsDag, "manual__2024-02-04T00:00:00+00:00", "success")}},
		"2.10.5/mark-queued": {release: "2.10.5", before: "ops-base.before", after: "ops-mark-queued.after", cmds: [][]string{
			mark(opsDag, "manual__2024-02-01T00:00:00+00:00", "queued"), mark(opsDag, "manual__2024-02-02T00:00:00+00:00", "queued")}},
		// fx_sleep_work has no dag row in the 2.10.5 files: the run is marked without its DAG.
		"2.10.5/mark-running": {release: "2.10.5", before: "ops-mark-running.before", after: "ops-mark-running.after", cmds: [][]string{
			mark(sleep, "manual__2024-03-01T00:00:00+00:00", "failed"), mark(sleep, "manual__2024-03-02T00:00:00+00:00", "success")}},
		"3.0.3/mark-success": {release: "3.0.3", before: "ops-mark-success.before", after: "ops-mark-success.after", cmds: [][]string{
			mark(opsDag, "manual__2026-11-27T11:23:02.462778+00:00", "success"), mark(opsDag, "manual__2026-11-27T11:24:59.743657+00:00", "success")}},
		"3.0.3/mark-queued": {release: "3.0.3", before: "ops-mark-queued.before", after: "ops-mark-queued.after", cmds: [][]string{
			mark(opsDag, "manual__2026-11-27T11:22:59.367799+00:00", "queued"), mark(opsDag, "manual__2026-11-27T11:23:02.462778+00:00", "queued")}},
		"3.0.3/mark-running": {release: "3.0.3", before: "ops-mark-running.before", after: "ops-mark-running.after", cmds: [][]string{
			mark(sleep, "manual__2026-11-27T11:25:44.946848+00:00", "failed"), mark(sleep, "manual__2026-11-27T11:25:47.999363+00:00", "success")}},
	}
	for name, c := range cases {
		c.audits = 2
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}
