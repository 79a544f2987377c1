// Package runplan decides which runs `dagctl runs create` writes: the
// timetable's dates, minus the dates that already have a run, numbered with
// the next counters of the prefix, cut to the limit. It is pure: the caller
// reads the database and writes the plan.
package runplan

import (
	"fmt"
	"time"

	"github.com/dagctl/dagctl/pkg/runid"
	"github.com/dagctl/dagctl/pkg/schedule"
)

// Planned is one run to create.
type Planned struct {
	RunID string
	Info  schedule.DagRunInfo
}

// Skipped is a date that already has a run.
type Skipped struct {
	LogicalDate time.Time
	RunID       string // the existing run
}

// Plan is what a create would do.
type Plan struct {
	Create    []Planned
	Skipped   []Skipped
	Remaining int // dates left out by --partial
}

// LimitError says more runs would be created than the limit allows.
type LimitError struct{ Count, Limit int }

func (e *LimitError) Error() string {
	return fmt.Sprintf("%d dag runs would be created, which exceeds the limit of %d", e.Count, e.Limit)
}

// Input is everything Make needs.
type Input struct {
	Infos []schedule.DagRunInfo
	// Existing maps a logical date (UnixMicro) to the run id already there.
	Existing map[int64]string
	Prefix   string // validated prefix
	// NextCounter is the first counter to use (runid.NextCounter of the existing ids).
	NextCounter int64
	Limit       int
	Partial     bool
}

// Make builds the plan: dates in order, existing ones skipped, counters
// assigned in date order to the runs actually created.
func Make(in Input) (Plan, error) {
	p := Plan{Create: []Planned{}, Skipped: []Skipped{}}
	var todo []schedule.DagRunInfo
	for _, info := range in.Infos {
		if id, ok := in.Existing[info.LogicalDate.UnixMicro()]; ok {
			p.Skipped = append(p.Skipped, Skipped{LogicalDate: info.LogicalDate, RunID: id})
			continue
		}
		todo = append(todo, info)
	}
	if in.Limit > 0 && len(todo) > in.Limit {
		if !in.Partial {
			return Plan{}, &LimitError{Count: len(todo), Limit: in.Limit}
		}
		p.Remaining = len(todo) - in.Limit
		todo = todo[:in.Limit]
	}
	counter := in.NextCounter
	for _, info := range todo {
		id := runid.Format(in.Prefix, counter, info.LogicalDate)
		if len(id) > runid.MaxRunIDLen {
			return Plan{}, fmt.Errorf("run id %q is longer than %d characters; use a shorter --prefix", id, runid.MaxRunIDLen)
		}
		p.Create = append(p.Create, Planned{RunID: id, Info: info})
		counter++
	}
	return p, nil
}
