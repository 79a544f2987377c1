// Package schedule computes Airflow's timetables (airflow/timetables/*.py)
// exactly as Airflow 2.10 and 3.0 do: croniter 6.0.0 cron semantics, pendulum 2
// DST rules and Airflow's data-interval alignment. It is pure: time arrives as
// an argument.
package schedule

import (
	"errors"
	"fmt"
	"time"
)

// DagRunInfo is airflow.timetables.base.DagRunInfo; all times are UTC.
type DagRunInfo struct {
	LogicalDate, DataIntervalStart, DataIntervalEnd, RunAfter time.Time
}

// Interval is a data interval.
type Interval struct{ Start, End time.Time }

// Timetable is one of Airflow's timetables.
type Timetable interface {
	// Type is the Airflow class path stored in serialized_dag.
	Type() string
	// Periodic is Airflow's `periodic` attribute.
	Periodic() bool
	// Summary is Airflow's `summary`: the cron expression, str(timedelta), "@once" …
	Summary() string
	// Between is DAG.iter_dagrun_infos_between(start, end, align=True): runs
	// whose logical date lies in [start, end]. When Airflow's loop would stop on
	// a timetable exception, the runs before it are returned with the error.
	Between(start, end time.Time) ([]DagRunInfo, error)
	// Each streams what Between returns; fn returning false stops early.
	Each(start, end time.Time, fn func(DagRunInfo) bool) error
	// ManualInterval is infer_manual_data_interval(run_after=runAfter).
	ManualInterval(runAfter time.Time) (Interval, error)
}

// UnknownTimetableError names a timetable class dagctl cannot compute (a
// plugin's, typically).
type UnknownTimetableError struct{ Class string }

func (e *UnknownTimetableError) Error() string {
	return fmt.Sprintf("unsupported timetable class %q (custom timetables cannot be evaluated outside Airflow)", e.Class)
}

// ErrNeedsClock is returned by ContinuousTimetable, whose runs depend on the
// current time rather than on the range asked for.
var ErrNeedsClock = errors.New("continuous timetable: runs depend on the current time and cannot be listed for a range")

// ErrNotAdvancing guards against a schedule whose next run is not later than
// the previous one (a zero delta), on which Airflow itself would loop forever.
var ErrNotAdvancing = errors.New("timetable does not advance: the next run is not after the previous one")

// restriction is airflow.timetables.base.TimeRestriction with catchup=True.
type restriction struct{ earliest, latest time.Time }

// nexter is a timetable's next_dagrun_info; nil info means no further run.
type nexter interface {
	next(last *Interval, r *restriction) (*DagRunInfo, error)
}

func intervalInfo(start, end time.Time) *DagRunInfo {
	return &DagRunInfo{LogicalDate: start, DataIntervalStart: start, DataIntervalEnd: end, RunAfter: end}
}

func exactInfo(at time.Time) *DagRunInfo { return intervalInfo(at, at) }

// iterate is DAG.iter_dagrun_infos_between with align=True (airflow/models/dag.py).
func iterate(n nexter, start, end time.Time, fn func(DagRunInfo) bool) error {
	r := &restriction{earliest: start.UTC(), latest: end.UTC()}
	info, err := n.next(nil, r)
	for err == nil && info != nil {
		if !fn(*info) {
			return nil
		}
		prev := info
		info, err = n.next(&Interval{prev.DataIntervalStart, prev.DataIntervalEnd}, r)
		if err == nil && info != nil && !info.LogicalDate.After(prev.LogicalDate) && !info.DataIntervalEnd.After(prev.DataIntervalEnd) {
			return ErrNotAdvancing
		}
	}
	return err
}

func collect(n nexter, start, end time.Time) ([]DagRunInfo, error) {
	out := []DagRunInfo{}
	err := iterate(n, start, end, func(i DagRunInfo) bool { out = append(out, i); return true })
	return out, err
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ---- CronDataIntervalTimetable (airflow/timetables/interval.py) ----

type cronBase struct {
	expr string // after Airflow's cron_presets
	loc  *time.Location
	cron *Cron
	err  error // croniter's construction error, raised on use as in Airflow
}

func newCronBase(expr string, loc *time.Location) cronBase {
	if p, ok := cronPresets[expr]; ok {
		expr = p
	}
	c, err := ParseCron(expr)
	return cronBase{expr: expr, loc: loc, cron: c, err: err}
}

func (b *cronBase) getNext(t time.Time) (time.Time, error) {
	if b.err != nil {
		return time.Time{}, b.err
	}
	return b.cron.Next(t, b.loc)
}

func (b *cronBase) getPrev(t time.Time) (time.Time, error) {
	if b.err != nil {
		return time.Time{}, b.err
	}
	return b.cron.Prev(t, b.loc)
}

func (b *cronBase) alignNext(t time.Time) (time.Time, error) {
	if b.err != nil {
		return time.Time{}, b.err
	}
	return b.cron.alignToNext(t, b.loc)
}

func (b *cronBase) alignPrev(t time.Time) (time.Time, error) {
	if b.err != nil {
		return time.Time{}, b.err
	}
	return b.cron.alignToPrev(t, b.loc)
}

// Location is the zone the cron expression is read in.
func (b *cronBase) Location() *time.Location { return b.loc }

// Expression is the cron expression after Airflow's presets.
func (b *cronBase) Expression() string { return b.expr }

// CronDataIntervalTimetable is schedule=<cron> in Airflow 2: each run covers
// the interval between two cron ticks and runs at its end.
type CronDataIntervalTimetable struct{ cronBase }

// NewCronDataInterval builds the timetable for expr (or an Airflow preset) in loc.
func NewCronDataInterval(expr string, loc *time.Location) *CronDataIntervalTimetable {
	return &CronDataIntervalTimetable{newCronBase(expr, loc)}
}

func (t *CronDataIntervalTimetable) Type() string {
	return "airflow.timetables.interval.CronDataIntervalTimetable"
}
func (t *CronDataIntervalTimetable) Periodic() bool  { return true }
func (t *CronDataIntervalTimetable) Summary() string { return t.expr }

// next is _DataIntervalTimetable.next_dagrun_info with catchup.
func (t *CronDataIntervalTimetable) next(last *Interval, r *restriction) (*DagRunInfo, error) {
	earliest, err := t.alignNext(r.earliest)
	if err != nil {
		return nil, err
	}
	start := earliest
	if last != nil {
		end, err := t.alignPrev(last.End)
		if err != nil {
			return nil, err
		}
		start = laterOf(end, earliest)
	}
	if start.After(r.latest) {
		return nil, nil
	}
	end, err := t.getNext(start)
	if err != nil {
		return nil, err
	}
	return intervalInfo(start, end), nil
}

func (t *CronDataIntervalTimetable) Between(start, end time.Time) ([]DagRunInfo, error) {
	return collect(t, start, end)
}
func (t *CronDataIntervalTimetable) Each(start, end time.Time, fn func(DagRunInfo) bool) error {
	return iterate(t, start, end, fn)
}

// ManualInterval: the last complete period before runAfter.
func (t *CronDataIntervalTimetable) ManualInterval(runAfter time.Time) (Interval, error) {
	end, err := t.alignPrev(runAfter.UTC())
	if err != nil {
		return Interval{}, err
	}
	start, err := t.getPrev(end)
	if err != nil {
		return Interval{}, err
	}
	return Interval{start, end}, nil
}

// ---- DeltaDataIntervalTimetable ----

// DeltaDataIntervalTimetable is schedule=<timedelta> in Airflow 2.
type DeltaDataIntervalTimetable struct{ Delta Delta }

func (t *DeltaDataIntervalTimetable) Type() string {
	return "airflow.timetables.interval.DeltaDataIntervalTimetable"
}
func (t *DeltaDataIntervalTimetable) Periodic() bool  { return true }
func (t *DeltaDataIntervalTimetable) Summary() string { return t.Delta.String() }

func (t *DeltaDataIntervalTimetable) next(last *Interval, r *restriction) (*DagRunInfo, error) {
	start := r.earliest
	if last != nil {
		start = laterOf(last.End, r.earliest)
	}
	if start.After(r.latest) {
		return nil, nil
	}
	return intervalInfo(start, t.Delta.Add(start)), nil
}

func (t *DeltaDataIntervalTimetable) Between(start, end time.Time) ([]DagRunInfo, error) {
	return collect(t, start, end)
}
func (t *DeltaDataIntervalTimetable) Each(start, end time.Time, fn func(DagRunInfo) bool) error {
	return iterate(t, start, end, fn)
}
func (t *DeltaDataIntervalTimetable) ManualInterval(runAfter time.Time) (Interval, error) {
	runAfter = runAfter.UTC()
	return Interval{t.Delta.Sub(runAfter), runAfter}, nil
}

// ---- trigger timetables (airflow/timetables/trigger.py) ----

// triggerNext is _TriggerTimetable.next_dagrun_info with catchup: runs at each
// tick, the data interval being [tick - interval, tick].
func triggerNext(last *Interval, r *restriction, interval Delta,
	getNext, alignNext func(time.Time) (time.Time, error)) (*DagRunInfo, error) {
	var next time.Time
	var err error
	if last != nil {
		next, err = getNext(last.End)
	} else {
		next, err = alignNext(r.earliest)
	}
	if err != nil {
		return nil, err
	}
	if r.latest.Before(next) {
		return nil, nil
	}
	return intervalInfo(interval.Sub(next), next), nil
}

// CronTriggerTimetable triggers at each cron tick.
type CronTriggerTimetable struct {
	cronBase
	Interval       Delta
	RunImmediately any // bool or seconds, as serialized (Airflow 3); no effect when a start is given
}

// NewCronTrigger builds the timetable for expr in loc with a zero interval.
func NewCronTrigger(expr string, loc *time.Location) *CronTriggerTimetable {
	return &CronTriggerTimetable{cronBase: newCronBase(expr, loc)}
}

func (t *CronTriggerTimetable) Type() string {
	return "airflow.timetables.trigger.CronTriggerTimetable"
}
func (t *CronTriggerTimetable) Periodic() bool  { return true }
func (t *CronTriggerTimetable) Summary() string { return t.expr }

func (t *CronTriggerTimetable) next(last *Interval, r *restriction) (*DagRunInfo, error) {
	return triggerNext(last, r, t.Interval, t.getNext, t.alignNext)
}
func (t *CronTriggerTimetable) Between(start, end time.Time) ([]DagRunInfo, error) {
	return collect(t, start, end)
}
func (t *CronTriggerTimetable) Each(start, end time.Time, fn func(DagRunInfo) bool) error {
	return iterate(t, start, end, fn)
}
func (t *CronTriggerTimetable) ManualInterval(runAfter time.Time) (Interval, error) {
	runAfter = runAfter.UTC()
	return Interval{t.Interval.Sub(runAfter), runAfter}, nil
}

// DeltaTriggerTimetable triggers every Delta (schedule=<timedelta> in Airflow 3).
type DeltaTriggerTimetable struct {
	Delta    Delta
	Interval Delta
}

func (t *DeltaTriggerTimetable) Type() string {
	return "airflow.timetables.trigger.DeltaTriggerTimetable"
}
func (t *DeltaTriggerTimetable) Periodic() bool  { return true }
func (t *DeltaTriggerTimetable) Summary() string { return t.Delta.String() }

func (t *DeltaTriggerTimetable) next(last *Interval, r *restriction) (*DagRunInfo, error) {
	return triggerNext(last, r, t.Interval,
		func(x time.Time) (time.Time, error) { return t.Delta.Add(x), nil },
		func(x time.Time) (time.Time, error) { return x, nil })
}
func (t *DeltaTriggerTimetable) Between(start, end time.Time) ([]DagRunInfo, error) {
	return collect(t, start, end)
}
func (t *DeltaTriggerTimetable) Each(start, end time.Time, fn func(DagRunInfo) bool) error {
	return iterate(t, start, end, fn)
}
func (t *DeltaTriggerTimetable) ManualInterval(runAfter time.Time) (Interval, error) {
	runAfter = runAfter.UTC()
	return Interval{t.Interval.Sub(runAfter), runAfter}, nil
}

// MultipleCronTriggerTimetable triggers whenever one of its crons does, at
// most once per instant.
type MultipleCronTriggerTimetable struct {
	Timetables []*CronTriggerTimetable
}

func (t *MultipleCronTriggerTimetable) Type() string {
	return "airflow.timetables.trigger.MultipleCronTriggerTimetable"
}
func (t *MultipleCronTriggerTimetable) Periodic() bool { return true }
func (t *MultipleCronTriggerTimetable) Summary() string {
	s := ""
	for i, c := range t.Timetables {
		if i > 0 {
			s += ", "
		}
		s += c.Summary()
	}
	return s
}

// next takes the earliest of the member timetables' next runs (the first one
// on a tie), as min() with _dagrun_info_sort_key_catchup does.
func (t *MultipleCronTriggerTimetable) next(last *Interval, r *restriction) (*DagRunInfo, error) {
	var best *DagRunInfo
	for _, c := range t.Timetables {
		info, err := c.next(last, r)
		if err != nil {
			return nil, err
		}
		if info != nil && (best == nil || info.LogicalDate.Before(best.LogicalDate)) {
			best = info
		}
	}
	return best, nil
}
func (t *MultipleCronTriggerTimetable) Between(start, end time.Time) ([]DagRunInfo, error) {
	return collect(t, start, end)
}
func (t *MultipleCronTriggerTimetable) Each(start, end time.Time, fn func(DagRunInfo) bool) error {
	return iterate(t, start, end, fn)
}
func (t *MultipleCronTriggerTimetable) ManualInterval(runAfter time.Time) (Interval, error) {
	var best *Interval
	for _, c := range t.Timetables {
		iv, err := c.ManualInterval(runAfter)
		if err != nil {
			return Interval{}, err
		}
		if best == nil || iv.Start.Before(best.Start) {
			best = &iv
		}
	}
	if best == nil {
		return Interval{}, errors.New("multiple cron timetable has no crons")
	}
	return *best, nil
}
