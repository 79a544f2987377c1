package shared

import (
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/runops"
	"github.com/dagctl/dagctl/internal/store"
)

func TestWriteFailures(t *testing.T) {
	res := runops.WaitResult{
		Failed: []string{"manual__2024-01-01T00:00:00+00:00", "odd run"},
		FailedTasks: map[string][]store.TaskInstance{
			"manual__2024-01-01T00:00:00+00:00": {
				{TaskID: "flaky", MapIndex: -1, State: "failed", TryNumber: 2, MaxTries: 1},
				{TaskID: "fan", MapIndex: 3, State: "failed", TryNumber: 1, MaxTries: 0},
				{TaskID: "marked", MapIndex: -1, State: "failed", TryNumber: 0},
				{TaskID: "report", MapIndex: -1, State: "upstream_failed"},
			},
		},
	}
	var b strings.Builder
	writeFailures(&b, "etl", res)
	want := `run manual__2024-01-01T00:00:00+00:00 of dag etl failed: task flaky failed (try 2 of 2), task fan[3] failed (try 1 of 1), task marked failed (never ran), task report upstream_failed
  dagctl tasks logs manual__2024-01-01T00:00:00+00:00 flaky --dag-id etl --try 2
  dagctl tasks logs manual__2024-01-01T00:00:00+00:00 fan --dag-id etl --map-index 3 --try 1
run odd run of dag etl failed: no task failed (the run was marked failed, or ran past its dagrun_timeout)
`
	if b.String() != want {
		t.Errorf("writeFailures:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestProgressText(t *testing.T) {
	p := runops.Progress{Total: 5, Done: 3, Failed: 1, Tasks: map[string]int{"running": 4, "failed": 1, "success": 9}, Elapsed: 130_500_000_000}
	if got, want := ProgressText(p), "waiting: 3/5 runs done (1 failed) · tasks: 4 running, 1 failed · 2m10s"; got != want {
		t.Errorf("ProgressText = %q, want %q", got, want)
	}
}
