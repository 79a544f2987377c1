package schedule

import (
	"encoding/json"
	"sort"
	"time"
)

// trivial covers airflow/timetables/simple.py's _TrivialTimetable family: not
// periodic, manual runs get the exact interval [runAfter, runAfter].
type trivial struct{}

func (trivial) Periodic() bool { return false }
func (trivial) ManualInterval(runAfter time.Time) (Interval, error) {
	runAfter = runAfter.UTC()
	return Interval{runAfter, runAfter}, nil
}

// NullTimetable is schedule=None: never scheduled.
type NullTimetable struct{ trivial }

func (NullTimetable) Type() string    { return "airflow.timetables.simple.NullTimetable" }
func (NullTimetable) Summary() string { return "None" }
func (NullTimetable) Between(start, end time.Time) ([]DagRunInfo, error) {
	return []DagRunInfo{}, nil
}
func (NullTimetable) Each(start, end time.Time, fn func(DagRunInfo) bool) error { return nil }

// OnceTimetable is "@once": one run at the start date.
type OnceTimetable struct{ trivial }

func (OnceTimetable) Type() string    { return "airflow.timetables.simple.OnceTimetable" }
func (OnceTimetable) Summary() string { return "@once" }
func (t OnceTimetable) next(last *Interval, r *restriction) (*DagRunInfo, error) {
	if last != nil || r.earliest.After(r.latest) {
		return nil, nil
	}
	return exactInfo(r.earliest), nil
}
func (t OnceTimetable) Between(start, end time.Time) ([]DagRunInfo, error) {
	return collect(t, start, end)
}
func (t OnceTimetable) Each(start, end time.Time, fn func(DagRunInfo) bool) error {
	return iterate(t, start, end, fn)
}

// ContinuousTimetable is "@continuous". Its runs depend on the wall clock, so
// Between returns ErrNeedsClock.
type ContinuousTimetable struct{ trivial }

func (ContinuousTimetable) Type() string    { return "airflow.timetables.simple.ContinuousTimetable" }
func (ContinuousTimetable) Summary() string { return "@continuous" }
func (ContinuousTimetable) Between(start, end time.Time) ([]DagRunInfo, error) {
	return nil, ErrNeedsClock
}
func (ContinuousTimetable) Each(start, end time.Time, fn func(DagRunInfo) bool) error {
	return ErrNeedsClock
}

// EventTriggeredTimetable is DatasetTriggeredTimetable (Airflow 2) or
// AssetTriggeredTimetable (Airflow 3): runs come from events, never from time.
type EventTriggeredTimetable struct {
	trivial
	Class     string
	Condition json.RawMessage // dataset_condition / asset_condition as serialized
}

func (t *EventTriggeredTimetable) Type() string { return t.Class }
func (t *EventTriggeredTimetable) Summary() string {
	if t.Class == classDatasetTriggered {
		return "Dataset"
	}
	return "Asset"
}
func (t *EventTriggeredTimetable) Between(start, end time.Time) ([]DagRunInfo, error) {
	return []DagRunInfo{}, nil
}
func (t *EventTriggeredTimetable) Each(start, end time.Time, fn func(DagRunInfo) bool) error {
	return nil
}

// EventOrTimeTimetable is DatasetOrTimeSchedule / AssetOrTimeSchedule: event
// runs plus the wrapped timetable's runs, which are the only ones computable.
type EventOrTimeTimetable struct {
	Class     string
	Condition json.RawMessage
	Inner     Timetable
}

func (t *EventOrTimeTimetable) Type() string   { return t.Class }
func (t *EventOrTimeTimetable) Periodic() bool { return t.Inner.Periodic() }
func (t *EventOrTimeTimetable) Summary() string {
	if t.Class == classDatasetOrTime {
		return "Dataset or " + t.Inner.Summary()
	}
	return "Asset or " + t.Inner.Summary()
}
func (t *EventOrTimeTimetable) Between(start, end time.Time) ([]DagRunInfo, error) {
	return t.Inner.Between(start, end)
}
func (t *EventOrTimeTimetable) Each(start, end time.Time, fn func(DagRunInfo) bool) error {
	return t.Inner.Each(start, end, fn)
}
func (t *EventOrTimeTimetable) ManualInterval(runAfter time.Time) (Interval, error) {
	return t.Inner.ManualInterval(runAfter)
}

// EventsTimetable (airflow/timetables/events.py) runs at listed instants.
type EventsTimetable struct {
	Events           []time.Time // sorted, UTC
	RestrictToEvents bool
	Description      string
	summary          string
}

func (t *EventsTimetable) Type() string    { return "airflow.timetables.events.EventsTimetable" }
func (t *EventsTimetable) Periodic() bool  { return true } // EventsTimetable keeps Timetable's default
func (t *EventsTimetable) Summary() string { return t.summary }

func (t *EventsTimetable) next(last *Interval, r *restriction) (*DagRunInfo, error) {
	i := sort.Search(len(t.Events), func(i int) bool { return !t.Events[i].Before(r.earliest) })
	for ; i < len(t.Events); i++ {
		if last != nil && !t.Events[i].After(last.End) {
			continue
		}
		if t.Events[i].After(r.latest) {
			return nil, nil
		}
		return exactInfo(t.Events[i]), nil
	}
	return nil, nil
}
func (t *EventsTimetable) Between(start, end time.Time) ([]DagRunInfo, error) {
	return collect(t, start, end)
}
func (t *EventsTimetable) Each(start, end time.Time, fn func(DagRunInfo) bool) error {
	return iterate(t, start, end, fn)
}

// ManualInterval: runAfter itself, or with restrict_to_events the latest event
// at or before it (the first event when all are later).
func (t *EventsTimetable) ManualInterval(runAfter time.Time) (Interval, error) {
	runAfter = runAfter.UTC()
	if !t.RestrictToEvents || len(t.Events) == 0 {
		return Interval{runAfter, runAfter}, nil
	}
	if runAfter.Before(t.Events[0]) {
		return Interval{t.Events[0], t.Events[0]}, nil
	}
	i := sort.Search(len(t.Events), func(i int) bool { return t.Events[i].After(runAfter) })
	ev := t.Events[i-1]
	return Interval{ev, ev}, nil
}
