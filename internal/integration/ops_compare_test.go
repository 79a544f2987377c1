package integration

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// opsNow is the clock of the operator-verb tests: after every row of the
// ops-* reference files (written 2026-11-27).
var opsNow = time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)

// opsTable says how to compare one table with Airflow's reference rows.
type opsTable struct {
	name string
	key  []string
	// now are the columns Airflow sets to "now" when it changes them: where
	// the reference changed such a column to a value, ours must hold our clock.
	now map[string]bool
	// fresh are columns that get a new random value (Airflow 3's task
	// instance id): ours must change exactly when the reference's did.
	fresh map[string]bool
	// skipNew are columns not compared on new rows (serial ids).
	skipNew map[string]bool
}

func set(cols ...string) map[string]bool {
	m := map[string]bool{}
	for _, c := range cols {
		m[c] = true
	}
	return m
}

// opsTables are the tables the ops-* files hold, but log (audited separately).
func opsTables(major int) []opsTable {
	out := []opsTable{
		{name: "dag_run", key: []string{"id"}, now: set("queued_at", "start_date", "end_date", "last_scheduling_decision", "updated_at")},
		{name: "task_instance", key: []string{"dag_id", "run_id", "task_id", "map_index"}, now: set("start_date", "end_date", "updated_at"), fresh: set("id")},
		{name: "task_instance_history", key: []string{"dag_id", "run_id", "task_id", "map_index", "try_number"}, skipNew: set("id")},
		{name: "task_reschedule", key: []string{"id"}},
	}
	if major == 2 {
		out = append(out, opsTable{name: "task_fail", key: []string{"id"}})
	}
	return out
}

type tableRows map[string]map[string]string

// snapshot reads every row of a table keyed by its key columns, values as text.
func snapshot(t *testing.T, db *dbtest.DB, tb opsTable) tableRows {
	t.Helper()
	cols, rows := db.Columns(t, "SELECT * FROM "+tb.name)
	out := tableRows{}
	for _, r := range rows {
		m := map[string]string{}
		for i, c := range cols {
			m[c] = valueText(r[i])
		}
		var k []string
		for _, c := range tb.key {
			k = append(k, m[c])
		}
		out[strings.Join(k, "|")] = m
	}
	return out
}

const nullText = "<NULL>"

func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return nullText
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	default:
		return text(v)
	}
}

// compareOps checks that our write changed the tables exactly as Airflow's
// did: refBefore → refAfter (the reference files) against ourBefore →
// ourAfter, column by column; "now" columns must hold our clock, fresh
// columns must change when Airflow's did; every other value must be equal.
func compareOps(t *testing.T, tb opsTable, refBefore, refAfter, ourBefore, ourAfter tableRows, now time.Time) {
	t.Helper()
	nowText := now.UTC().Format(time.RFC3339Nano)
	keys := map[string]bool{}
	for k := range refAfter {
		keys[k] = true
	}
	for k := range ourAfter {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		ra, inRef := refAfter[k]
		oa, inOurs := ourAfter[k]
		rb, wasRef := refBefore[k]
		ob := ourBefore[k]
		switch {
		case inRef && !inOurs:
			t.Errorf("%s %s: Airflow has this row, dagctl does not", tb.name, k)
			continue
		case !inRef && inOurs:
			t.Errorf("%s %s: dagctl wrote a row Airflow did not: %v", tb.name, k, oa)
			continue
		}
		for c, want := range ra {
			got, ok := oa[c]
			if !ok {
				t.Errorf("%s %s: column %s missing", tb.name, k, c)
				continue
			}
			if !wasRef {
				// A new row: the same values, except serial ids.
				if !tb.skipNew[c] && got != want {
					t.Errorf("%s %s (new row) %s = %s, Airflow wrote %s", tb.name, k, c, got, want)
				}
				continue
			}
			refChanged := rb[c] != want
			ourChanged := ob[c] != got
			switch {
			case tb.fresh[c]:
				if refChanged != ourChanged {
					t.Errorf("%s %s %s: changed=%t (%s → %s), Airflow changed=%t", tb.name, k, c, ourChanged, ob[c], got, refChanged)
				}
			case tb.now[c] && refChanged && want != nullText:
				if got != nowText {
					t.Errorf("%s %s %s = %s, want now (%s): Airflow set it to its now %s", tb.name, k, c, got, nowText, want)
				}
			case c == "duration" && refChanged && want != "0":
				if !ourChanged || got == nullText {
					t.Errorf("%s %s duration = %s (was %s), Airflow recomputed it to %s", tb.name, k, got, ob[c], want)
				}
			default:
				if got != want {
					t.Errorf("%s %s %s = %s (was %s), Airflow: %s → %s", tb.name, k, c, got, ob[c], rb[c], want)
				}
			}
		}
	}
}

// opsCase runs dagctl commands on a database loaded with Airflow's
// before-rows and compares the result with Airflow's after-rows.
type opsCase struct {
	release string
	before  string // fixture kind, e.g. "ops-base.before"
	after   string
	cmds    [][]string
	// audits is how many audit rows dagctl must add (one per write).
	audits int
	// noDAGs loads the fixtures without the sample DAGs.
	noDAGs bool
	// tables overrides the tables compared (default opsTables).
	tables []opsTable
}

func (c opsCase) run(t *testing.T) {
	t.Helper()
	opts := func(kind string) []dbtest.Option {
		if c.noDAGs {
			return []dbtest.Option{dbtest.WithFixture(kind)}
		}
		return []dbtest.Option{dbtest.WithSampleDAGs(), dbtest.WithFixture(kind)}
	}
	ours := dbtest.NewPostgres(t, c.release, opts(c.before)...)
	ref := dbtest.NewPostgres(t, c.release, opts(c.after)...)
	major := 3
	if c.release[0] == '2' {
		major = 2
	}
	tables := opsTables(major)
	if c.tables != nil {
		tables = c.tables
	}
	before := map[string]tableRows{}
	for _, tb := range tables {
		before[tb.name] = snapshot(t, ours, tb)
	}
	logs := ours.ScalarInt(t, "SELECT count(*) FROM log")
	r := runner(t, ours)
	r.Now = func() time.Time { return opsNow }
	for _, args := range c.cmds {
		r.MustRun(t, 0, args...)
	}
	for _, tb := range tables {
		// Ours and Airflow's start from the same before-file.
		compareOps(t, tb, before[tb.name], snapshot(t, ref, tb), before[tb.name], snapshot(t, ours, tb), opsNow)
	}
	if n := ours.ScalarInt(t, "SELECT count(*) FROM log WHERE event LIKE 'dagctl.%'"); n != int64(c.audits) {
		t.Errorf("%d dagctl audit rows, want %d", n, c.audits)
	}
	if n := ours.ScalarInt(t, "SELECT count(*) FROM log"); n != logs+int64(c.audits) {
		t.Errorf("log rows %d → %d, want %d new", logs, n, c.audits)
	}
}
