package tasklog

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The log tree Airflow 3.0.3 wrote (see its README).
const fixture3 = "../../internal/integration/testdata/airflow-logs/airflow-3.0.3/dag_id=fx_logs/run_id=manual__2026-12-08T00%3A12%3A59.028328+00%3A00_4tU4A3Tr"

func renderFile(t *testing.T, rel string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(fixture3, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, strings.Split(Render(sc.Text()), "\n")...)
	}
	return out
}

func TestRenderAirflow3Fixture(t *testing.T) {
	const hook = " source=airflow.task.hooks.airflow.providers.standard.hooks.subprocess.SubprocessHook"
	flaky2 := renderFile(t, "task_id=flaky/attempt=2.log")
	want := []string{
		"[2026-12-08T00:13:13.889101Z] INFO - DAG bundles loaded: dags-folder source=airflow.dag_processing.bundles.manager.DagBundlesManager",
		"[2026-12-08T00:13:13.941748Z] INFO - attempt 2" + hook,
		"[2026-12-08T00:13:13.941949Z] INFO - Command exited with return code 1" + hook,
		"[2026-12-08T00:13:13.943636Z] ERROR - Task failed with exception source=task",
		"AirflowException: Bash command failed. The command returned a non-zero exit code 1.",
		"    File /usr/local/lib/python3.13/site-packages/airflow/sdk/execution_time/task_runner.py, line 877 in run",
		"    File /usr/local/lib/python3.13/site-packages/airflow/providers/standard/operators/bash.py, line 233 in execute",
	}
	for _, w := range want {
		if !contains(flaky2, w) {
			t.Errorf("flaky attempt 2: no line %q in\n%s", w, strings.Join(flaky2, "\n"))
		}
	}
	if flaky2[len(flaky2)-1] != want[len(want)-1] {
		t.Errorf("last line = %q", flaky2[len(flaky2)-1])
	}
	flaky1 := renderFile(t, "task_id=flaky/attempt=1.log")
	if !containsSuffix(flaky1, "INFO - attempt 1"+hook) {
		t.Errorf("flaky attempt 1 has no 'attempt 1' line:\n%s", strings.Join(flaky1, "\n"))
	}
	hello := renderFile(t, "task_id=hello/attempt=1.log")
	if !containsSuffix(hello, "] INFO - hello-from-airflow"+hook) {
		t.Errorf("hello:\n%s", strings.Join(hello, "\n"))
	}
	// Extra keys print as key=value: the ti repr of "Pushing xcom".
	if !containsPrefixSuffix(hello, "[2026-12-08T00:13:11.021143Z] INFO - Pushing xcom ti=RuntimeTaskInstance(id=UUID(", ") source=task") {
		t.Errorf("hello: no rendered Pushing xcom line:\n%s", strings.Join(hello, "\n"))
	}
	mapped := renderFile(t, "task_id=mapped/map_index=1/attempt=1.log")
	if !containsSuffix(mapped, "] INFO - mapped-1"+hook) {
		t.Errorf("mapped 1:\n%s", strings.Join(mapped, "\n"))
	}
	for _, l := range append(append(flaky2, hello...), mapped...) {
		if strings.HasPrefix(l, "{") {
			t.Errorf("a JSON line was not rendered: %s", l)
		}
	}
}

func TestRenderLines(t *testing.T) {
	cases := []struct{ in, want string }{
		// Airflow 2 lines and other text print as they are.
		{"[2026-12-08T00:12:31.807+0000] {subprocess.py:106} INFO - attempt 2", "[2026-12-08T00:12:31.807+0000] {subprocess.py:106} INFO - attempt 2"},
		{"Traceback (most recent call last):", "Traceback (most recent call last):"},
		{"", ""},
		{"{not json", "{not json"},
		{`{"level":"info"}`, `{"level":"info"}`}, // no event
		{`{"event":1}`, `{"event":1}`},           // event not a str
		{`{"event":"x","timestamp":"soon"}`, `{"event":"x","timestamp":"soon"}`}, // not a date
		{`{"event":"x"} {"event":"y"}`, `{"event":"x"} {"event":"y"}`},
		{`["event"]`, `["event"]`},
		// Structured lines.
		{`{"event":"just this"}`, "just this"},
		{`{"timestamp":null,"event":"no time","level":"warning"}`, "WARNING - no time"},
		{`{"timestamp":"2026-01-02T03:04:05+00:00","level":"info","event":"e","logger":"l"}`, "[2026-01-02T03:04:05Z] INFO - e source=l"},
		{`{"timestamp":"2026-01-02T03:04:05.5+02:00","event":"e"}`, "[2026-01-02T03:04:05.5+02:00] e"},
		{`{"timestamp":"2026-01-02 03:04:05","event":"e"}`, "[2026-01-02T03:04:05Z] e"},
		{`{"event":"e","n":1,"f":1.5,"b":true,"z":null,"o":{"a": [1, 2]},"s":"x y"}`, `e n=1 f=1.5 b=true z=null o={"a":[1,2]} s=x y`},
		{`{"event":"e","filename":"f.py","x":1,"lineno":12}`, "e x=1 loc=f.py:12"},
		{`{"event":"e","dag_id":"d","task_id":"t","run_id":"r","try_number":1,"map_index":-1,"ti_id":"u","chan":"stdout"}`, "e chan=stdout"},
		{`{"event":"e","level":5}`, "e level=5"},
		{`{"event":"boom","error_detail":"Traceback:\n  x"}`, "boom\nTraceback:\n  x"},
		{`{"event":"boom","error_detail":[{"exc_type":"ValueError","exc_value":"bad","frames":[{"filename":"/a.py","lineno":3,"name":"f"}]},{"exc_type":"KeyError","exc_value":"'k'","frames":[]}]}`,
			"boom\nValueError: bad\n    File /a.py, line 3 in f\nKeyError: 'k'"},
		{`  {"event":"indented"}  `, "indented"},
		{`{"event":"dup","k":1,"k":2}`, "dup k=2"},
	}
	for _, c := range cases {
		if got := Render(c.in); got != c.want {
			t.Errorf("Render(%s)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

func containsSuffix(lines []string, s string) bool {
	for _, l := range lines {
		if strings.HasSuffix(l, s) {
			return true
		}
	}
	return false
}

func containsPrefixSuffix(lines []string, p, s string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, p) && strings.HasSuffix(l, s) {
			return true
		}
	}
	return false
}
