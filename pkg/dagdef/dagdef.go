// Package dagdef reads a DAG's definition from Airflow's serialized_dag row.
//
// The format is written by SerializedDAG.serialize_dag and read by
// SerializedDAG.deserialize_dag in airflow/serialization/serialized_objects.py
// (airflow-core/src/airflow/serialization/serialized_objects.py in 3.x):
//
//	2.x:  {"__version": 1, "dag": {"_dag_id": ..., "timezone": ..., "schedule_interval" | "timetable": ..., "tasks": [...], "params": [...]}}
//	3.x:  {"__version": 2, "dag": {"dag_id": ..., "timetable": ..., ...}[, "client_defaults": {"tasks": {...}}]}
//
// Attributes equal to their default are left out of the serialized form, so
// this package applies Airflow's defaults for the version that wrote the row.
// The timetable is not interpreted here: it is kept as raw JSON.
package dagdef

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/dagctl/dagctl/pkg/params"
	"github.com/dagctl/dagctl/pkg/taskgraph"
)

// DAG is what dagctl needs from a serialized DAG.
type DAG struct {
	ID string
	// Timezone is the DAG's timezone (UTC when absent).
	Timezone           *time.Location
	StartDate, EndDate *time.Time // UTC instants; nil when not set
	// Catchup is the DAG's catchup flag. When the row does not carry it
	// (CatchupDefaulted), it is Airflow's default for the version that wrote
	// the row: [scheduler] catchup_by_default, True in 2.x and False in 3.x.
	// A deployment that changed that setting should override it.
	Catchup          bool
	CatchupDefaulted bool
	// MaxActiveRuns is nil when the row does not set it; Airflow then uses
	// [core] max_active_runs_per_dag (16 by default).
	MaxActiveRuns *int
	Params        []params.Param // in declaration order
	// DependsOnPast is true when any task has depends_on_past.
	DependsOnPast bool
	TaskIDs       []string // in serialized order
	// TaskGroup is the DAG's root task group, children in declaration
	// order (nil when the row has none); TopologicalOrder uses it.
	TaskGroup *taskgraph.Group
	// Mapped says which tasks are mapped (expand()): their instances have
	// map_index >= 0.
	Mapped map[string]bool
	// TaskRetries is each task's retries (what clearing adds to try_number for max_tries).
	TaskRetries map[string]int
	// DisableBundleVersioning is the 3.x DAG's disable_bundle_versioning.
	DisableBundleVersioning bool
	// Downstream is each task's downstream_task_ids (the task graph's edges).
	Downstream map[string][]string
	// Setup and Teardown hold the tasks with is_setup / is_teardown set
	// (serialized only when true, SerializedBaseOperator in 2.7+).
	Setup    map[string]bool
	Teardown map[string]bool
	// TimetableJSON is the encoded timetable ({"__type", "__var"}): always
	// in 3.x; in 2.x only when the schedule is not a plain schedule_interval.
	TimetableJSON json.RawMessage
	// ScheduleInterval is the 2.x schedule_interval (a cron string or
	// preset, a {"__type": "timedelta"|"relativedelta"} value, or null for
	// no schedule) when the row holds it instead of a timetable.
	ScheduleInterval json.RawMessage
	// FormatVersion is the envelope's "__version": 1 for 2.x, 2 or 3 for 3.x.
	FormatVersion int
}

var (
	// ErrNoData: neither data nor data_compressed holds a serialized DAG.
	ErrNoData = errors.New("serialized dag has no data")
	// ErrUnsupportedVersion: the envelope's __version is one this package
	// does not know.
	ErrUnsupportedVersion = errors.New("unsupported serialized dag version")
)

// maxFormatVersion is the highest envelope version read here. Airflow
// evolves the payload through optional fields, not version bumps
// (serialization/adr/0001), so a higher version is a real format change.
const maxFormatVersion = 3

// Parse reads a serialized DAG. data is serialized_dag.data (JSON; it may be
// SQL NULL, JSON null or empty when [core] compress_serialized_dags is on);
// compressed is serialized_dag.data_compressed, zlib-compressed JSON.
func Parse(data []byte, compressed []byte) (*DAG, error) {
	payload := bytes.TrimSpace(data)
	if len(payload) == 0 || bytes.Equal(payload, []byte("null")) {
		if len(compressed) == 0 {
			return nil, ErrNoData
		}
		zr, err := zlib.NewReader(bytes.NewReader(compressed))
		if err != nil {
			return nil, fmt.Errorf("decompress serialized dag: %w", err)
		}
		payload, err = io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("decompress serialized dag: %w", err)
		}
		payload = bytes.TrimSpace(payload)
	}
	// A JSON column read back as a JSON string (double-encoded) is unwrapped.
	if len(payload) > 0 && payload[0] == '"' {
		var s string
		if err := json.Unmarshal(payload, &s); err != nil {
			return nil, fmt.Errorf("parse serialized dag: %w", err)
		}
		payload = []byte(s)
	}

	var env struct {
		Version        *int                       `json:"__version"`
		DAG            map[string]json.RawMessage `json:"dag"`
		ClientDefaults struct {
			Tasks map[string]json.RawMessage `json:"tasks"`
		} `json:"client_defaults"`
	}
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("parse serialized dag: %w", err)
	}
	if env.Version == nil {
		return nil, fmt.Errorf("%w: no __version", ErrUnsupportedVersion)
	}
	if *env.Version < 1 || *env.Version > maxFormatVersion {
		return nil, fmt.Errorf("%w: %d", ErrUnsupportedVersion, *env.Version)
	}
	if env.DAG == nil {
		return nil, errors.New("parse serialized dag: no \"dag\" object")
	}
	d := &DAG{FormatVersion: *env.Version}
	if err := d.fill(env.DAG, env.ClientDefaults.Tasks); err != nil {
		if d.ID != "" {
			return nil, fmt.Errorf("parse serialized dag %q: %w", d.ID, err)
		}
		return nil, fmt.Errorf("parse serialized dag: %w", err)
	}
	return d, nil
}

func (d *DAG) fill(m map[string]json.RawMessage, taskDefaults map[string]json.RawMessage) error {
	// 2.x writes "_dag_id", 3.x "dag_id".
	idRaw, ok := m["dag_id"]
	if !ok {
		idRaw, ok = m["_dag_id"]
	}
	if !ok {
		return errors.New("no dag_id")
	}
	if err := json.Unmarshal(idRaw, &d.ID); err != nil || d.ID == "" {
		return errors.New("dag_id is not a string")
	}

	d.Timezone = time.UTC // settings.TIMEZONE, [core] default_timezone = utc
	if raw, ok := m["timezone"]; ok {
		tz, err := parseTimezone(raw)
		if err != nil {
			return err
		}
		d.Timezone = tz
	}

	var err error
	if d.StartDate, err = optionalDate(m, "start_date"); err != nil {
		return err
	}
	if d.EndDate, err = optionalDate(m, "end_date"); err != nil {
		return err
	}

	// DAG(catchup=...) defaults to conf "scheduler.catchup_by_default",
	// True in 2.x. In 2.x the value is left out when it `is` that default;
	// 3.x always writes it, and its default is False.
	if raw, ok := m["catchup"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &d.Catchup); err != nil {
			return fmt.Errorf("catchup: %w", err)
		}
	} else {
		d.Catchup = d.FormatVersion == 1
		d.CatchupDefaulted = true
	}

	if raw, ok := m["disable_bundle_versioning"]; ok && !isNull(raw) {
		_ = json.Unmarshal(raw, &d.DisableBundleVersioning)
	}

	if raw, ok := m["max_active_runs"]; ok && !isNull(raw) {
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil || f != math.Trunc(f) {
			return fmt.Errorf("max_active_runs: not an integer: %s", raw)
		}
		n := int(f)
		d.MaxActiveRuns = &n
	}

	if d.Params, err = params.Decode(m["params"]); err != nil {
		return err
	}

	if raw, ok := m["timetable"]; ok && !isNull(raw) {
		d.TimetableJSON = raw
	}
	if raw, ok := m["schedule_interval"]; ok {
		d.ScheduleInterval = raw
	}

	if raw, ok := m["_task_group"]; ok && !isNull(raw) {
		g, err := parseTaskGroup(raw)
		if err != nil {
			return err
		}
		d.TaskGroup = g
	}
	return d.fillTasks(m["tasks"], taskDefaults)
}

func (d *DAG) fillTasks(raw json.RawMessage, taskDefaults map[string]json.RawMessage) error {
	d.TaskIDs = []string{}
	d.TaskRetries = map[string]int{}
	d.Downstream = map[string][]string{}
	d.Setup = map[string]bool{}
	d.Teardown = map[string]bool{}
	d.Mapped = map[string]bool{}
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return fmt.Errorf("tasks: %w", err)
	}
	// client_defaults.tasks (3.1+) holds operator defaults left out of each
	// task (OperatorSerialization._apply_defaults_to_encoded_op).
	defaultDOP := false
	if v, ok := taskDefaults["depends_on_past"]; ok {
		_ = json.Unmarshal(v, &defaultDOP)
	}
	// BaseOperator's retries default is [core] default_task_retries, 0 unless configured.
	var defaultRetries float64
	if v, ok := taskDefaults["retries"]; ok {
		_ = json.Unmarshal(v, &defaultRetries)
	}
	for i, item := range items {
		// Tasks are {"__type": "operator", "__var": {...}}; very old rows
		// hold the operator dict itself.
		var wrapper struct {
			Type string          `json:"__type"`
			Var  json.RawMessage `json:"__var"`
		}
		if err := json.Unmarshal(item, &wrapper); err != nil {
			return fmt.Errorf("task %d: %w", i, err)
		}
		body := item
		if wrapper.Var != nil {
			if wrapper.Type != "operator" {
				continue // deserialize_dag skips what is not an operator
			}
			body = wrapper.Var
		}
		var t struct {
			TaskID        string   `json:"task_id"`
			IsMapped      bool     `json:"_is_mapped"`
			DependsOnPast *bool    `json:"depends_on_past"`
			Retries       *float64 `json:"retries"`
			Downstream    []string `json:"downstream_task_ids"`
			IsSetup       bool     `json:"is_setup"`
			IsTeardown    bool     `json:"is_teardown"`
			// A mapped operator keeps its BaseOperator arguments here.
			PartialKwargs *struct {
				DependsOnPast *bool    `json:"depends_on_past"`
				Retries       *float64 `json:"retries"`
			} `json:"partial_kwargs"`
		}
		if err := json.Unmarshal(body, &t); err != nil || t.TaskID == "" {
			return fmt.Errorf("task %d: no task_id", i)
		}
		d.TaskIDs = append(d.TaskIDs, t.TaskID)
		d.Downstream[t.TaskID] = t.Downstream
		if t.IsSetup {
			d.Setup[t.TaskID] = true
		}
		if t.IsTeardown {
			d.Teardown[t.TaskID] = true
		}
		if t.IsMapped {
			d.Mapped[t.TaskID] = true
		}
		dop := defaultDOP
		switch {
		case t.DependsOnPast != nil:
			dop = *t.DependsOnPast
		case t.PartialKwargs != nil && t.PartialKwargs.DependsOnPast != nil:
			dop = *t.PartialKwargs.DependsOnPast
		}
		if dop {
			d.DependsOnPast = true
		}
		retries := defaultRetries
		switch {
		case t.Retries != nil:
			retries = *t.Retries
		case t.PartialKwargs != nil && t.PartialKwargs.Retries != nil:
			retries = *t.PartialKwargs.Retries
		}
		d.TaskRetries[t.TaskID] = int(retries)
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// parseTimezone mirrors encode_timezone / airflow.utils.timezone.parse_timezone:
// a zone name (pendulum.timezone(name), "UTC" in any case), or an int, the
// offset in seconds of a pendulum FixedTimezone.
func parseTimezone(raw json.RawMessage) (*time.Location, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("timezone: %w", err)
	}
	// Some writers wrap it: {"__type": "timezone", "__var": ...}.
	if m, ok := v.(map[string]any); ok {
		v = m["__var"]
	}
	switch tz := v.(type) {
	case nil:
		return time.UTC, nil
	case string:
		if strings.EqualFold(tz, "utc") {
			return time.UTC, nil
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("timezone %q: %w", tz, err)
		}
		return loc, nil
	case float64:
		if tz != math.Trunc(tz) {
			return nil, fmt.Errorf("timezone offset %v is not whole seconds", tz)
		}
		off := int(tz)
		if off == 0 {
			return time.UTC, nil
		}
		return time.FixedZone(offsetName(off), off), nil
	}
	return nil, fmt.Errorf("timezone: unexpected value %s", raw)
}

// offsetName is pendulum's name of a fixed offset, e.g. "+05:30".
func offsetName(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off%3600/60)
}

// optionalDate reads a DAG date: seconds since the epoch (serialize_to_json
// drops the {"__type": "datetime"} wrapper at this level; it is accepted too).
func optionalDate(m map[string]json.RawMessage, key string) (*time.Time, error) {
	raw, ok := m[key]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if w, ok := v.(map[string]any); ok {
		v = w["__var"]
	}
	f, ok := v.(float64)
	if !ok {
		return nil, fmt.Errorf("%s: not a timestamp: %s", key, raw)
	}
	t := fromTimestamp(f)
	return &t, nil
}

// fromTimestamp is airflow.utils.timezone.from_timestamp: a UTC datetime with
// microsecond precision.
func fromTimestamp(f float64) time.Time {
	sec, frac := math.Modf(f)
	us := int64(math.Round(frac * 1e6))
	return time.Unix(int64(sec), 0).Add(time.Duration(us) * time.Microsecond).UTC()
}
