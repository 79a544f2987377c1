package dagdef

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/dagctl/dagctl/pkg/params"
)

var (
	jan1   = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	zurich = mustZone("Europe/Zurich")
	mar1   = time.Date(2024, 3, 1, 0, 0, 0, 0, zurich)
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// expect is what dags-2/*.py and dags-3/*.py declare for one DAG.
type expect struct {
	catchup2, catchup3 bool   // the value Parse must give for a 2.x / 3.x row
	catchupSet2        bool   // whether 2.10.5 wrote catchup (it omits True, its default)
	tz                 string // "" = UTC
	start              time.Time
	maxActiveRuns      int // 0 = not set
	params             bool
	dependsOnPast      bool
	tasks              []string
	timetable2         string // 2.10.5 timetable class; "" = schedule_interval
	scheduleInterval2  string // 2.10.5 schedule_interval JSON
	timetable3         string // 3.x timetable class
}

var twoTasks = []string{"start", "work"}

const (
	cronDI  = "airflow.timetables.interval.CronDataIntervalTimetable"
	cronTr  = "airflow.timetables.trigger.CronTriggerTimetable"
	deltaTr = "airflow.timetables.trigger.DeltaTriggerTimetable"
	once    = "airflow.timetables.simple.OnceTimetable"
	null    = "airflow.timetables.simple.NullTimetable"
)

// sampleDAGs is keyed by the 3.x name; the 2.x dataset DAGs are renamed.
var sampleDAGs = map[string]expect{
	"fx_daily_cron":      {catchup2: true, catchup3: true, start: jan1, tasks: twoTasks, timetable2: cronDI, timetable3: cronTr},
	"fx_hourly":          {catchupSet2: true, start: jan1, tasks: twoTasks, scheduleInterval2: `"@hourly"`, timetable3: cronTr},
	"fx_zurich_dst":      {catchupSet2: true, tz: "Europe/Zurich", start: mar1, tasks: twoTasks, timetable2: cronDI, timetable3: cronTr},
	"fx_weekly_monday":   {catchupSet2: true, start: jan1, tasks: twoTasks, timetable2: cronDI, timetable3: cronTr},
	"fx_every_6h":        {catchupSet2: true, start: jan1, tasks: twoTasks, scheduleInterval2: `{"__var": 21600.0, "__type": "timedelta"}`, timetable3: deltaTr},
	"fx_once":            {catchupSet2: true, start: jan1, tasks: twoTasks, timetable2: once, timetable3: once},
	"fx_manual_only":     {catchup2: true, start: jan1, tasks: twoTasks, scheduleInterval2: `null`, timetable3: null},
	"fx_cron_trigger":    {catchupSet2: true, start: jan1, tasks: twoTasks, timetable2: cronTr, timetable3: cronTr},
	"fx_asset_producer":  {catchupSet2: true, start: jan1, tasks: []string{"produce"}, scheduleInterval2: `"@daily"`, timetable3: cronTr},
	"fx_asset_consumer":  {catchup2: true, start: jan1, tasks: twoTasks, timetable2: "airflow.timetables.simple.DatasetTriggeredTimetable", timetable3: "airflow.timetables.simple.AssetTriggeredTimetable"},
	"fx_tags_params":     {catchupSet2: true, start: jan1, params: true, tasks: []string{"load"}, timetable2: cronDI, timetable3: cronTr},
	"fx_depends_on_past": {catchupSet2: true, start: jan1, dependsOnPast: true, tasks: twoTasks, scheduleInterval2: `"@daily"`, timetable3: cronTr},
	"fx_paused":          {catchupSet2: true, start: jan1, tasks: []string{"noop"}, scheduleInterval2: `"@daily"`, timetable3: cronTr},
	"fx_max_active_runs": {catchupSet2: true, start: jan1, maxActiveRuns: 2, tasks: []string{"nap"}, timetable2: cronDI, timetable3: cronTr},
}

var dags2Names = map[string]string{"fx_dataset_producer": "fx_asset_producer", "fx_dataset_consumer": "fx_asset_consumer"}

func ttType(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var tt struct {
		Type string `json:"__type"`
	}
	if err := json.Unmarshal(raw, &tt); err != nil {
		t.Fatalf("timetable %s: %v", raw, err)
	}
	return tt.Type
}

func TestParseSampleDAGs(t *testing.T) {
	files := []struct {
		name    string
		major   int
		version int
	}{
		{"airflow-2.10.5.sample-dags.postgres.sql", 2, 1},
		{"airflow-2.10.5.sample-dags.sqlite.sql", 2, 1},
		{"airflow-3.0.3.sample-dags.postgres.sql", 3, 2},
		{"airflow-3.0.3.sample-dags.sqlite.sql", 3, 2},
		{"airflow-3.1.8.sample-dags.postgres.sql", 3, 2},
		{"airflow-3.1.8.sample-dags.sqlite.sql", 3, 2},
		{"airflow-3.2.0.sample-dags.postgres.sql", 3, 2}, // jsonb: normalized key order
		{"airflow-3.3.0.sample-dags.postgres.sql", 3, 2},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			rows := serializedDagRows(t, f.name)
			var seen []string
			for _, row := range rows {
				d, err := Parse(row.data, row.compressed)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				name := d.ID
				if f.major == 2 {
					if n, ok := dags2Names[d.ID]; ok {
						name = n
					}
				}
				seen = append(seen, name)
				want, ok := sampleDAGs[name]
				if !ok {
					t.Errorf("unexpected dag %q", d.ID)
					continue
				}
				checkDAG(t, d, want, f.major, f.version)
			}
			sort.Strings(seen)
			var all []string
			for k := range sampleDAGs {
				all = append(all, k)
			}
			sort.Strings(all)
			if !slices.Equal(seen, all) {
				t.Errorf("dags = %v, want %v", seen, all)
			}
		})
	}
}

func checkDAG(t *testing.T, d *DAG, want expect, major, version int) {
	t.Helper()
	id := d.ID
	if d.FormatVersion != version {
		t.Errorf("%s: FormatVersion = %d, want %d", id, d.FormatVersion, version)
	}
	wantCatchup, wantDefaulted := want.catchup3, false
	if major == 2 {
		wantCatchup, wantDefaulted = want.catchup2, !want.catchupSet2
	}
	if d.Catchup != wantCatchup || d.CatchupDefaulted != wantDefaulted {
		t.Errorf("%s: Catchup = %v (defaulted %v), want %v (defaulted %v)", id, d.Catchup, d.CatchupDefaulted, wantCatchup, wantDefaulted)
	}
	wantTZ := "UTC"
	if want.tz != "" {
		wantTZ = want.tz
	}
	if d.Timezone == nil || d.Timezone.String() != wantTZ {
		t.Errorf("%s: Timezone = %v, want %s", id, d.Timezone, wantTZ)
	}
	if d.StartDate == nil || !d.StartDate.Equal(want.start) || d.StartDate.Location() != time.UTC {
		t.Errorf("%s: StartDate = %v, want %v in UTC", id, d.StartDate, want.start)
	}
	if d.EndDate != nil {
		t.Errorf("%s: EndDate = %v, want nil", id, d.EndDate)
	}
	switch {
	case want.maxActiveRuns == 0 && d.MaxActiveRuns != nil:
		t.Errorf("%s: MaxActiveRuns = %d, want unset", id, *d.MaxActiveRuns)
	case want.maxActiveRuns != 0 && (d.MaxActiveRuns == nil || *d.MaxActiveRuns != want.maxActiveRuns):
		t.Errorf("%s: MaxActiveRuns = %v, want %d", id, d.MaxActiveRuns, want.maxActiveRuns)
	}
	var wantParams []params.Param
	if want.params {
		wantParams = []params.Param{
			{Key: "table", Default: "x", HasDefault: true, Schema: map[string]any{}},
			{Key: "limit", Default: json.Number("10"), HasDefault: true, Schema: map[string]any{}},
		}
	} else {
		wantParams = []params.Param{}
	}
	if !reflect.DeepEqual(d.Params, wantParams) {
		t.Errorf("%s: Params = %#v, want %#v", id, d.Params, wantParams)
	}
	if d.DependsOnPast != want.dependsOnPast {
		t.Errorf("%s: DependsOnPast = %v, want %v", id, d.DependsOnPast, want.dependsOnPast)
	}
	if !slices.Equal(d.TaskIDs, want.tasks) {
		t.Errorf("%s: TaskIDs = %v, want %v", id, d.TaskIDs, want.tasks)
	}
	if major == 3 {
		if d.ScheduleInterval != nil {
			t.Errorf("%s: ScheduleInterval = %s, want none in 3.x", id, d.ScheduleInterval)
		}
		if d.TimetableJSON == nil || ttType(t, d.TimetableJSON) != want.timetable3 {
			t.Errorf("%s: timetable = %s, want %s", id, d.TimetableJSON, want.timetable3)
		}
		return
	}
	if want.timetable2 != "" {
		if d.TimetableJSON == nil || ttType(t, d.TimetableJSON) != want.timetable2 || d.ScheduleInterval != nil {
			t.Errorf("%s: timetable = %s, schedule_interval = %s, want timetable %s", id, d.TimetableJSON, d.ScheduleInterval, want.timetable2)
		}
	} else if d.TimetableJSON != nil || string(d.ScheduleInterval) != want.scheduleInterval2 {
		t.Errorf("%s: timetable = %s, schedule_interval = %s, want schedule_interval %s", id, d.TimetableJSON, d.ScheduleInterval, want.scheduleInterval2)
	}
}

func TestParseZurichLocalStart(t *testing.T) {
	rows := serializedDagRows(t, "airflow-2.10.5.sample-dags.postgres.sql")
	for _, row := range rows {
		d, err := Parse(row.data, row.compressed)
		if err != nil {
			t.Fatal(err)
		}
		if d.ID != "fx_zurich_dst" {
			continue
		}
		// pendulum.datetime(2024, 3, 1, tz="Europe/Zurich") = 2024-02-29T23:00Z.
		if got := d.StartDate.In(d.Timezone).Format(time.RFC3339); got != "2024-03-01T00:00:00+01:00" {
			t.Errorf("local start = %s", got)
		}
		return
	}
	t.Fatal("fx_zurich_dst not found")
}

func TestParseCompressed(t *testing.T) {
	for _, v := range []struct {
		version string
		major   int
	}{{"2.10.5", 2}, {"3.0.3", 3}, {"3.1.8", 3}, {"3.2.0", 3}, {"3.3.0", 3}} {
		t.Run(v.version, func(t *testing.T) {
			rows := serializedDagRows(t, "airflow-"+v.version+".sample-dags-compressed.postgres.sql")
			if len(rows) != 1 {
				t.Fatalf("%d rows, want 1", len(rows))
			}
			if string(rows[0].data) != "null" || len(rows[0].compressed) == 0 {
				t.Fatalf("row is not a compressed one: data %q, %d compressed bytes", rows[0].data, len(rows[0].compressed))
			}
			d, err := Parse(rows[0].data, rows[0].compressed)
			if err != nil {
				t.Fatal(err)
			}
			if d.ID != "fx_daily_cron" {
				t.Fatalf("ID = %q", d.ID)
			}
			version := 1
			if v.major == 3 {
				version = 2
			}
			checkDAG(t, d, sampleDAGs["fx_daily_cron"], v.major, version)
			// SQL NULL in data is the same as JSON null.
			d2, err := Parse(nil, rows[0].compressed)
			if err != nil || d2.ID != d.ID {
				t.Errorf("Parse(nil, compressed) = %v, %v", d2, err)
			}
		})
	}
}

func zlibBytes(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseCases(t *testing.T) {
	type check func(t *testing.T, d *DAG)
	tests := []struct {
		name  string
		data  string
		check check
	}{
		{
			"fixed offset timezone and end date",
			`{"__version": 1, "dag": {"_dag_id": "a", "timezone": 19800, "start_date": 1704067200.123456, "end_date": {"__type": "datetime", "__var": 1706745600.0}, "tasks": []}}`,
			func(t *testing.T, d *DAG) {
				if _, off := jan1.In(d.Timezone).Zone(); off != 19800 || d.Timezone.String() != "+05:30" {
					t.Errorf("Timezone = %v offset %d", d.Timezone, off)
				}
				if want := jan1.Add(123456 * time.Microsecond); !d.StartDate.Equal(want) {
					t.Errorf("StartDate = %v, want %v", d.StartDate, want)
				}
				if want := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC); d.EndDate == nil || !d.EndDate.Equal(want) {
					t.Errorf("EndDate = %v", d.EndDate)
				}
			},
		},
		{
			"negative offset, lowercase utc not needed",
			`{"__version": 2, "dag": {"dag_id": "a", "timezone": -18000, "tasks": []}}`,
			func(t *testing.T, d *DAG) {
				if d.Timezone.String() != "-05:00" || d.StartDate != nil {
					t.Errorf("Timezone = %v, StartDate = %v", d.Timezone, d.StartDate)
				}
			},
		},
		{
			"defaults: no timezone, no catchup in 2.x",
			`{"__version": 1, "dag": {"_dag_id": "a"}}`,
			func(t *testing.T, d *DAG) {
				if d.Timezone != time.UTC || !d.Catchup || !d.CatchupDefaulted || d.MaxActiveRuns != nil || len(d.TaskIDs) != 0 || d.TaskIDs == nil {
					t.Errorf("got %+v", d)
				}
			},
		},
		{
			"defaults: no catchup in 3.x",
			`{"__version": 3, "dag": {"dag_id": "a", "timezone": "utc", "tasks": []}}`,
			func(t *testing.T, d *DAG) {
				if d.Timezone != time.UTC || d.Catchup || !d.CatchupDefaulted || d.FormatVersion != 3 {
					t.Errorf("got %+v", d)
				}
			},
		},
		{
			"explicit catchup and max_active_runs",
			`{"__version": 1, "dag": {"_dag_id": "a", "catchup": false, "max_active_runs": 5.0}}`,
			func(t *testing.T, d *DAG) {
				if d.Catchup || d.CatchupDefaulted || d.MaxActiveRuns == nil || *d.MaxActiveRuns != 5 {
					t.Errorf("got %+v", d)
				}
			},
		},
		{
			"client_defaults, mapped operators, non-operators",
			`{"__version": 3, "client_defaults": {"tasks": {"retries": 1}}, "dag": {"dag_id": "a", "tasks": [
				{"__type": "operator", "__var": {"task_id": "m", "_is_mapped": true, "partial_kwargs": {"depends_on_past": true}}},
				{"__type": "other", "__var": {"task_id": "x"}},
				{"task_id": "old", "depends_on_past": false}]}}`,
			func(t *testing.T, d *DAG) {
				if !d.DependsOnPast || !slices.Equal(d.TaskIDs, []string{"m", "old"}) {
					t.Errorf("DependsOnPast = %v, TaskIDs = %v", d.DependsOnPast, d.TaskIDs)
				}
			},
		},
		{
			"depends_on_past from client_defaults, overridden per task",
			`{"__version": 3, "client_defaults": {"tasks": {"depends_on_past": true}}, "dag": {"dag_id": "a", "tasks": [
				{"__type": "operator", "__var": {"task_id": "t"}}]}}`,
			func(t *testing.T, d *DAG) {
				if !d.DependsOnPast {
					t.Error("DependsOnPast = false, want true from client_defaults")
				}
			},
		},
		{
			"task explicitly not depends_on_past",
			`{"__version": 3, "client_defaults": {"tasks": {"depends_on_past": true}}, "dag": {"dag_id": "a", "tasks": [
				{"__type": "operator", "__var": {"task_id": "t", "depends_on_past": false}}]}}`,
			func(t *testing.T, d *DAG) {
				if d.DependsOnPast {
					t.Error("DependsOnPast = true, want false")
				}
			},
		},
		{
			"double-encoded JSON string",
			`"{\"__version\": 1, \"dag\": {\"_dag_id\": \"s\", \"schedule_interval\": \"@daily\"}}"`,
			func(t *testing.T, d *DAG) {
				if d.ID != "s" || string(d.ScheduleInterval) != `"@daily"` || d.TimetableJSON != nil {
					t.Errorf("got %+v", d)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.data), nil)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, d)
			// The same JSON, compressed, reads the same.
			dz, err := Parse([]byte("null"), zlibBytes(t, tt.data))
			if tt.data[0] == '"' {
				return // the compressed column never holds a JSON string
			}
			if err != nil || !reflect.DeepEqual(dz, d) {
				t.Errorf("compressed: %+v, %v; want %+v", dz, err, d)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		compressed []byte
		is         error
	}{
		{"nothing", "", nil, ErrNoData},
		{"json null, no compressed", "null", nil, ErrNoData},
		{"future version", `{"__version": 4, "dag": {"dag_id": "a"}}`, nil, ErrUnsupportedVersion},
		{"no version", `{"dag": {"dag_id": "a"}}`, nil, ErrUnsupportedVersion},
		{"bad params", `{"__version": 1, "dag": {"_dag_id": "a", "params": 3}}`, nil, params.ErrInvalidParams},
		{"not zlib", "null", []byte("garbage"), nil},
		{"no dag", `{"__version": 1}`, nil, nil},
		{"no dag id", `{"__version": 1, "dag": {"tasks": []}}`, nil, nil},
		{"unknown zone", `{"__version": 1, "dag": {"_dag_id": "a", "timezone": "Mars/Olympus"}}`, nil, nil},
		{"bad start date", `{"__version": 1, "dag": {"_dag_id": "a", "start_date": "2024-01-01"}}`, nil, nil},
		{"task without id", `{"__version": 2, "dag": {"dag_id": "a", "tasks": [{"__type": "operator", "__var": {}}]}}`, nil, nil},
		{"not json", `{"__version": `, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.data), tt.compressed)
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", d)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error = %v, want %v", err, tt.is)
			}
		})
	}
}
