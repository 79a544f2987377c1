package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Class paths as encode_timetable writes them.
const (
	classCronDataInterval  = "airflow.timetables.interval.CronDataIntervalTimetable"
	classDeltaDataInterval = "airflow.timetables.interval.DeltaDataIntervalTimetable"
	classCronTrigger       = "airflow.timetables.trigger.CronTriggerTimetable"
	classDeltaTrigger      = "airflow.timetables.trigger.DeltaTriggerTimetable"
	classMultipleCron      = "airflow.timetables.trigger.MultipleCronTriggerTimetable"
	classNull              = "airflow.timetables.simple.NullTimetable"
	classOnce              = "airflow.timetables.simple.OnceTimetable"
	classContinuous        = "airflow.timetables.simple.ContinuousTimetable"
	classDatasetTriggered  = "airflow.timetables.simple.DatasetTriggeredTimetable"
	classAssetTriggered    = "airflow.timetables.simple.AssetTriggeredTimetable"
	classDatasetOrTime     = "airflow.timetables.datasets.DatasetOrTimeSchedule"
	classAssetOrTime       = "airflow.timetables.assets.AssetOrTimeSchedule"
	classEvents            = "airflow.timetables.events.EventsTimetable"
)

// cronPresets is airflow.utils.dates.cron_presets; croniter resolves its own
// aliases (@annually, @midnight) later.
var cronPresets = map[string]string{
	"@hourly":    "0 * * * *",
	"@daily":     "0 0 * * *",
	"@weekly":    "0 0 * * 0",
	"@monthly":   "0 0 1 * *",
	"@quarterly": "0 0 1 */3 *",
	"@yearly":    "0 0 1 1 *",
}

type encoded struct {
	Type string                     `json:"__type"`
	Var  map[string]json.RawMessage `json:"__var"`
}

// Decode reads a timetable in the encode_timetable form stored in
// serialized_dag ({"__type": class path, "__var": {...}}). A class dagctl does
// not know yields *UnknownTimetableError.
func Decode(raw json.RawMessage) (Timetable, error) {
	var e encoded
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("decode timetable: %w", err)
	}
	if e.Type == "" {
		return nil, errors.New("decode timetable: missing __type")
	}
	v := e.Var
	str := func(k string) (string, error) {
		var s string
		if err := json.Unmarshal(v[k], &s); err != nil {
			return "", fmt.Errorf("decode %s: field %q: %w", e.Type, k, err)
		}
		return s, nil
	}
	delta := func(k string, required bool) (Delta, error) {
		r, ok := v[k]
		if !ok || string(r) == "null" {
			if required {
				return Delta{}, fmt.Errorf("decode %s: missing %q", e.Type, k)
			}
			return Delta{}, nil
		}
		d, err := decodeDelta(r)
		if err != nil {
			return Delta{}, fmt.Errorf("decode %s: %w", e.Type, err)
		}
		return d, nil
	}
	switch e.Type {
	case classCronDataInterval, classCronTrigger:
		expr, err := str("expression")
		if err != nil {
			return nil, err
		}
		loc, err := decodeTimezone(v["timezone"])
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", e.Type, err)
		}
		if e.Type == classCronDataInterval {
			return NewCronDataInterval(expr, loc), nil
		}
		t := NewCronTrigger(expr, loc)
		if t.Interval, err = delta("interval", false); err != nil {
			return nil, err
		}
		if r, ok := v["run_immediately"]; ok {
			_ = json.Unmarshal(r, &t.RunImmediately)
		}
		return t, nil
	case classMultipleCron:
		var exprs []string
		if err := json.Unmarshal(v["expressions"], &exprs); err != nil || len(exprs) == 0 {
			return nil, fmt.Errorf("decode %s: cron expression required", e.Type)
		}
		loc, err := decodeTimezone(v["timezone"])
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", e.Type, err)
		}
		iv, err := delta("interval", false)
		if err != nil {
			return nil, err
		}
		m := &MultipleCronTriggerTimetable{}
		for _, x := range exprs {
			c := NewCronTrigger(x, loc)
			c.Interval = iv
			m.Timetables = append(m.Timetables, c)
		}
		return m, nil
	case classDeltaDataInterval:
		d, err := delta("delta", true)
		if err != nil {
			return nil, err
		}
		if !d.positive() {
			return nil, fmt.Errorf("decode %s: schedule interval must be positive, not %s", e.Type, d)
		}
		return &DeltaDataIntervalTimetable{Delta: d}, nil
	case classDeltaTrigger:
		d, err := delta("delta", true)
		if err != nil {
			return nil, err
		}
		if !d.positive() {
			return nil, fmt.Errorf("decode %s: schedule interval must be positive, not %s", e.Type, d)
		}
		iv, err := delta("interval", false)
		if err != nil {
			return nil, err
		}
		return &DeltaTriggerTimetable{Delta: d, Interval: iv}, nil
	case classNull:
		return NullTimetable{}, nil
	case classOnce:
		return OnceTimetable{}, nil
	case classContinuous:
		return ContinuousTimetable{}, nil
	case classDatasetTriggered:
		return &EventTriggeredTimetable{Class: e.Type, Condition: v["dataset_condition"]}, nil
	case classAssetTriggered:
		return &EventTriggeredTimetable{Class: e.Type, Condition: v["asset_condition"]}, nil
	case classDatasetOrTime, classAssetOrTime:
		inner, err := Decode(v["timetable"])
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", e.Type, err)
		}
		cond := v["asset_condition"]
		if e.Type == classDatasetOrTime {
			cond = v["dataset_condition"]
		}
		return &EventOrTimeTimetable{Class: e.Type, Condition: cond, Inner: inner}, nil
	case classEvents:
		return decodeEvents(v)
	}
	return nil, &UnknownTimetableError{Class: e.Type}
}

func decodeEvents(v map[string]json.RawMessage) (Timetable, error) {
	var dates []string
	if err := json.Unmarshal(v["event_dates"], &dates); err != nil {
		return nil, fmt.Errorf("decode %s: event_dates: %w", classEvents, err)
	}
	t := &EventsTimetable{}
	for _, s := range dates {
		at, err := parseISO(s)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", classEvents, err)
		}
		t.Events = append(t.Events, at)
	}
	sort.Slice(t.Events, func(i, j int) bool { return t.Events[i].Before(t.Events[j]) })
	_ = json.Unmarshal(v["restrict_to_events"], &t.RestrictToEvents)
	_ = json.Unmarshal(v["description"], &t.Description)
	if err := json.Unmarshal(v["_summary"], &t.summary); err != nil || t.summary == "" {
		t.summary = fmt.Sprintf("%d events", len(t.Events))
	}
	return t, nil
}

// parseISO reads Python's isoformat(): "2024-01-01T00:00:00+00:00", with
// optional fraction; a value without offset is taken as UTC.
func parseISO(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad datetime %q", s)
}

// FromScheduleInterval builds the timetable Airflow 2 derives from a DAG's
// serialized schedule_interval (airflow/models/dag.py create_timetable): null
// is NullTimetable, "@once" OnceTimetable, "@continuous" ContinuousTimetable, a
// timedelta/relativedelta DeltaDataIntervalTimetable, any other string a
// CronDataIntervalTimetable in tz (create_cron_data_intervals defaults to true
// in 2.x).
func FromScheduleInterval(raw json.RawMessage, tz *time.Location) (Timetable, error) {
	if tz == nil {
		tz = time.UTC
	}
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return NullTimetable{}, nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		switch str {
		case "@once":
			return OnceTimetable{}, nil
		case "@continuous":
			return ContinuousTimetable{}, nil
		}
		return NewCronDataInterval(str, tz), nil
	}
	var obj struct {
		Type string          `json:"__type"`
		Var  json.RawMessage `json:"__var"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("schedule_interval: unsupported value %s", raw)
	}
	switch obj.Type {
	case "timedelta", "relativedelta":
		d, err := decodeDelta(obj.Var)
		if err != nil {
			return nil, fmt.Errorf("schedule_interval: %w", err)
		}
		if !d.positive() {
			return nil, fmt.Errorf("schedule_interval must be positive, not %s", d)
		}
		return &DeltaDataIntervalTimetable{Delta: d}, nil
	}
	return nil, fmt.Errorf("schedule_interval: unsupported type %q", obj.Type)
}
