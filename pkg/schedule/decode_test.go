package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fixtureValues pulls every JSON value following key in the serialized DAGs
// Airflow wrote into the shared fixtures.
func fixtureValues(t *testing.T, key string) map[string]json.RawMessage {
	t.Helper()
	files, _ := filepath.Glob("../../internal/store/dbtest/testdata/fixtures/*.sample-dags.postgres.sql")
	if len(files) == 0 {
		t.Skip("fixtures not present")
	}
	out := map[string]json.RawMessage{}
	needle := []byte(`"` + key + `": `)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i := bytes.Index(data, needle); i >= 0; {
			rest := data[i+len(needle):]
			var v json.RawMessage
			if err := json.NewDecoder(bytes.NewReader(rest)).Decode(&v); err == nil {
				out[string(v)] = v
			}
			j := bytes.Index(rest, needle)
			if j < 0 {
				break
			}
			i += len(needle) + j
		}
	}
	return out
}

func TestDecodeFixtureTimetables(t *testing.T) {
	vals := fixtureValues(t, "timetable")
	if len(vals) < 5 {
		t.Fatalf("found only %d timetables in the fixtures", len(vals))
	}
	types := map[string]bool{}
	for s, raw := range vals {
		tt, err := Decode(raw)
		if err != nil {
			t.Errorf("Decode(%s): %v", s, err)
			continue
		}
		types[tt.Type()] = true
		if _, err := tt.ManualInterval(utc("2024-06-01T00:00:00Z")); err != nil {
			t.Errorf("%s: ManualInterval: %v", s, err)
		}
	}
	for _, want := range []string{classCronTrigger, classCronDataInterval, classDeltaTrigger, classOnce, classNull, classAssetTriggered, classDatasetTriggered} {
		if !types[want] {
			t.Errorf("fixtures held no %s (decoded: %v)", want, types)
		}
	}
}

func TestFromScheduleIntervalFixtures(t *testing.T) {
	vals := fixtureValues(t, "schedule_interval")
	if len(vals) == 0 {
		t.Fatal("no schedule_interval in the 2.x fixtures")
	}
	for s, raw := range vals {
		if _, err := FromScheduleInterval(raw, time.UTC); err != nil {
			t.Errorf("FromScheduleInterval(%s): %v", s, err)
		}
	}
}

func TestFromScheduleInterval(t *testing.T) {
	zurich := zone(t, "Europe/Zurich")
	cases := []struct {
		raw, typ, summary string
		periodic          bool
	}{
		{`null`, classNull, "None", false},
		{`"@once"`, classOnce, "@once", false},
		{`"@continuous"`, classContinuous, "@continuous", false},
		{`"@daily"`, classCronDataInterval, "0 0 * * *", true},
		{`"@quarterly"`, classCronDataInterval, "0 0 1 */3 *", true},
		{`"@annually"`, classCronDataInterval, "@annually", true},
		{`"*/5 * * * *"`, classCronDataInterval, "*/5 * * * *", true},
		{`{"__type": "timedelta", "__var": 21600.0}`, classDeltaDataInterval, "6:00:00", true},
		{`{"__type": "timedelta", "__var": 90000.5}`, classDeltaDataInterval, "1 day, 1:00:00.500000", true},
		{`{"__type": "relativedelta", "__var": {"months": 1}}`, classDeltaDataInterval, "relativedelta(months=+1)", true},
	}
	for _, c := range cases {
		tt, err := FromScheduleInterval(json.RawMessage(c.raw), zurich)
		if err != nil {
			t.Errorf("%s: %v", c.raw, err)
			continue
		}
		if tt.Type() != c.typ || tt.Summary() != c.summary || tt.Periodic() != c.periodic {
			t.Errorf("%s: got %s %q periodic=%v, want %s %q %v", c.raw, tt.Type(), tt.Summary(), tt.Periodic(), c.typ, c.summary, c.periodic)
		}
	}
	if _, err := FromScheduleInterval(json.RawMessage(`{"__type": "timedelta", "__var": 0}`), nil); err == nil {
		t.Error("zero timedelta: want an error")
	}
	// The cron is read in the DAG's zone.
	tt, _ := FromScheduleInterval(json.RawMessage(`"0 2 * * *"`), zurich)
	infos, err := tt.Between(utc("2024-07-01T00:00:00Z"), utc("2024-07-01T23:00:00Z"))
	if err != nil || len(infos) != 1 || !infos[0].LogicalDate.Equal(utc("2024-07-01T00:00:00Z")) {
		t.Errorf("zurich cron: %+v, %v", infos, err)
	}
}

func TestDecodeUnknownClass(t *testing.T) {
	_, err := Decode(json.RawMessage(`{"__type": "my_company.plugins.WorkdayTimetable", "__var": {}}`))
	var ue *UnknownTimetableError
	if !errors.As(err, &ue) || ue.Class != "my_company.plugins.WorkdayTimetable" {
		t.Fatalf("err = %v, want UnknownTimetableError naming the class", err)
	}
	if _, err := Decode(json.RawMessage(`{"__var": {}}`)); err == nil {
		t.Error("missing __type: want an error")
	}
}

func TestDecodeTimezoneForms(t *testing.T) {
	for _, tz := range []string{`"UTC"`, `"Europe/Zurich"`, `3600`, `-18000.0`, `{"name": "Asia/Kolkata"}`} {
		raw := `{"__type": "airflow.timetables.interval.CronDataIntervalTimetable", "__var": {"expression": "0 0 * * *", "timezone": ` + tz + `}}`
		if _, err := Decode(json.RawMessage(raw)); err != nil {
			t.Errorf("timezone %s: %v", tz, err)
		}
	}
	// A fixed +01:00 offset has no DST.
	raw := `{"__type": "airflow.timetables.trigger.CronTriggerTimetable", "__var": {"expression": "0 0 * * *", "timezone": 3600, "interval": 0.0}}`
	tt, err := Decode(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	infos, _ := tt.Between(utc("2024-07-01T00:00:00Z"), utc("2024-07-02T00:00:00Z"))
	if len(infos) != 1 || !infos[0].LogicalDate.Equal(utc("2024-07-01T23:00:00Z")) {
		t.Errorf("fixed offset: %+v", infos)
	}
	if _, err := Decode(json.RawMessage(`{"__type": "airflow.timetables.interval.CronDataIntervalTimetable", "__var": {"expression": "0 0 * * *", "timezone": "Mars/Olympus"}}`)); err == nil {
		t.Error("unknown zone: want an error")
	}
}

func TestSimpleTimetables(t *testing.T) {
	start, end := utc("2024-01-01T00:00:00Z"), utc("2024-12-31T00:00:00Z")
	once, _ := Decode(json.RawMessage(`{"__type": "airflow.timetables.simple.OnceTimetable", "__var": {}}`))
	infos, err := once.Between(start, end)
	if err != nil || len(infos) != 1 || !infos[0].LogicalDate.Equal(start) || !infos[0].RunAfter.Equal(start) {
		t.Errorf("once: %+v, %v", infos, err)
	}
	if infos, _ := once.Between(end, start); len(infos) != 0 {
		t.Errorf("once, empty range: %+v", infos)
	}
	null, _ := Decode(json.RawMessage(`{"__type": "airflow.timetables.simple.NullTimetable", "__var": {}}`))
	if infos, err := null.Between(start, end); err != nil || len(infos) != 0 || infos == nil {
		t.Errorf("null: %#v, %v", infos, err)
	}
	mi, _ := null.ManualInterval(start)
	if !mi.Start.Equal(start) || !mi.End.Equal(start) {
		t.Errorf("null manual interval %+v", mi)
	}
	cont, _ := Decode(json.RawMessage(`{"__type": "airflow.timetables.simple.ContinuousTimetable", "__var": {}}`))
	if _, err := cont.Between(start, end); !errors.Is(err, ErrNeedsClock) {
		t.Errorf("continuous: %v", err)
	}
	asset, _ := Decode(json.RawMessage(`{"__type": "airflow.timetables.simple.AssetTriggeredTimetable", "__var": {"asset_condition": {"__type": "asset_all", "objects": []}}}`))
	if asset.Summary() != "Asset" || asset.Periodic() {
		t.Errorf("asset: %q %v", asset.Summary(), asset.Periodic())
	}
	ds, _ := Decode(json.RawMessage(`{"__type": "airflow.timetables.simple.DatasetTriggeredTimetable", "__var": {"dataset_condition": {}}}`))
	if ds.Summary() != "Dataset" {
		t.Errorf("dataset summary %q", ds.Summary())
	}
}

func TestAssetOrTimeSchedule(t *testing.T) {
	raw := `{"__type": "airflow.timetables.assets.AssetOrTimeSchedule", "__var": {"asset_condition": {"__type": "asset_all", "objects": []},
		"timetable": {"__type": "airflow.timetables.trigger.CronTriggerTimetable", "__var": {"expression": "0 6 * * *", "timezone": "UTC", "interval": 0.0, "run_immediately": false}}}}`
	tt, err := Decode(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if tt.Summary() != "Asset or 0 6 * * *" || !tt.Periodic() {
		t.Errorf("summary %q periodic %v", tt.Summary(), tt.Periodic())
	}
	infos, err := tt.Between(utc("2024-01-01T00:00:00Z"), utc("2024-01-03T00:00:00Z"))
	if err != nil || len(infos) != 2 || !infos[1].LogicalDate.Equal(utc("2024-01-02T06:00:00Z")) {
		t.Errorf("infos %+v, %v", infos, err)
	}
}

func TestMultipleCronTrigger(t *testing.T) {
	raw := `{"__type": "airflow.timetables.trigger.MultipleCronTriggerTimetable", "__var": {"expressions": ["0 9 * * *", "30 9 * * *", "0 9 * * 1"],
		"timezone": "UTC", "interval": 0.0, "run_immediately": false}}`
	tt, err := Decode(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if tt.Summary() != "0 9 * * *, 30 9 * * *, 0 9 * * 1" {
		t.Errorf("summary %q", tt.Summary())
	}
	infos, err := tt.Between(utc("2024-01-01T00:00:00Z"), utc("2024-01-02T12:00:00Z"))
	var got []string
	for _, i := range infos {
		got = append(got, i.LogicalDate.Format(time.RFC3339))
	}
	// 2024-01-01 is a Monday: 09:00 fires for two crons but runs once.
	assertRuns(t, "multiple cron", got, "2024-01-01T09:00:00Z", "2024-01-01T09:30:00Z", "2024-01-02T09:00:00Z", "2024-01-02T09:30:00Z")
	if err != nil {
		t.Error(err)
	}
}

func TestEventsTimetable(t *testing.T) {
	raw := `{"__type": "airflow.timetables.events.EventsTimetable", "__var": {"event_dates": ["2024-03-01T10:00:00+00:00", "2024-01-15T08:00:00+01:00", "2024-06-01T00:00:00+00:00"],
		"restrict_to_events": true, "description": "3 events", "_summary": "3 events"}}`
	tt, err := Decode(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	infos, err := tt.Between(utc("2024-01-01T00:00:00Z"), utc("2024-05-01T00:00:00Z"))
	if err != nil || len(infos) != 2 || !infos[0].LogicalDate.Equal(utc("2024-01-15T07:00:00Z")) || !infos[1].RunAfter.Equal(utc("2024-03-01T10:00:00Z")) {
		t.Errorf("events: %+v, %v", infos, err)
	}
	mi, _ := tt.ManualInterval(utc("2024-04-01T00:00:00Z"))
	if !mi.Start.Equal(utc("2024-03-01T10:00:00Z")) {
		t.Errorf("restricted manual interval %+v", mi)
	}
	mi, _ = tt.ManualInterval(utc("2023-04-01T00:00:00Z"))
	if !mi.Start.Equal(utc("2024-01-15T07:00:00Z")) {
		t.Errorf("manual interval before all events %+v", mi)
	}
	if tt.Summary() != "3 events" {
		t.Errorf("summary %q", tt.Summary())
	}
}

func TestDeltaTimetables(t *testing.T) {
	// A relativedelta moves the UTC calendar: month ends clamp.
	raw := `{"__type": "airflow.timetables.interval.DeltaDataIntervalTimetable", "__var": {"delta": {"months": 1}}}`
	tt, err := Decode(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	infos, err := tt.Between(utc("2024-01-31T00:00:00Z"), utc("2024-04-01T00:00:00Z"))
	var got []string
	for _, i := range infos {
		got = append(got, i.DataIntervalEnd.Format(time.RFC3339))
	}
	assertRuns(t, "monthly relativedelta", got, "2024-02-29T00:00:00Z", "2024-03-29T00:00:00Z", "2024-04-29T00:00:00Z")
	if err != nil {
		t.Error(err)
	}
	mi, _ := tt.ManualInterval(utc("2024-03-31T00:00:00Z"))
	if !mi.Start.Equal(utc("2024-02-29T00:00:00Z")) {
		t.Errorf("manual interval %+v", mi)
	}
	// DeltaTriggerTimetable with a data interval.
	dt, err := Decode(json.RawMessage(`{"__type": "airflow.timetables.trigger.DeltaTriggerTimetable", "__var": {"delta": 21600.0, "interval": 3600.0}}`))
	if err != nil {
		t.Fatal(err)
	}
	infos, _ = dt.Between(utc("2024-01-01T00:00:00Z"), utc("2024-01-01T12:00:00Z"))
	if len(infos) != 3 || !infos[1].DataIntervalStart.Equal(utc("2024-01-01T05:00:00Z")) || !infos[1].RunAfter.Equal(utc("2024-01-01T06:00:00Z")) {
		t.Errorf("delta trigger: %+v", infos)
	}
	if dt.Summary() != "6:00:00" {
		t.Errorf("summary %q", dt.Summary())
	}
	if _, err := Decode(json.RawMessage(`{"__type": "airflow.timetables.trigger.DeltaTriggerTimetable", "__var": {"delta": 0.0, "interval": 0.0}}`)); err == nil {
		t.Error("zero delta: want an error")
	}
}

func TestEachStopsEarly(t *testing.T) {
	tt := NewCronTrigger("*/5 * * * *", time.UTC)
	n := 0
	err := tt.Each(utc("2024-01-01T00:00:00Z"), utc("2025-01-01T00:00:00Z"), func(DagRunInfo) bool { n++; return n < 3 })
	if err != nil || n != 3 {
		t.Errorf("n=%d err=%v", n, err)
	}
}

// Airflow builds a timetable with a bad cron without complaint and fails when
// it computes; ManualInterval of a trigger timetable never reads the cron.
func TestInvalidCronFailsOnUse(t *testing.T) {
	tt, err := Decode(json.RawMessage(`{"__type": "airflow.timetables.trigger.CronTriggerTimetable", "__var": {"expression": "0 25 * * *", "timezone": "UTC", "interval": 0.0}}`))
	if err != nil {
		t.Fatal(err)
	}
	var se *CronSyntaxError
	if _, err := tt.Between(utc("2024-01-01T00:00:00Z"), utc("2024-01-02T00:00:00Z")); !errors.As(err, &se) {
		t.Errorf("Between: %v, want CronSyntaxError", err)
	}
	if _, err := tt.ManualInterval(utc("2024-01-01T00:00:00Z")); err != nil {
		t.Errorf("ManualInterval: %v", err)
	}
}
