package backfill

import (
	"fmt"
	"testing"
	"time"
)

var (
	t0        = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	scheduled = t0.Add(time.Hour)
)

func ptr(t time.Time) *time.Time { return &t }

func TestDeriveState(t *testing.T) {
	after := scheduled.Add(time.Minute)
	before := scheduled.Add(-time.Minute)
	tests := []struct {
		name string
		f    Facts
		want State
	}{
		{"before scheduled time", Facts{Now: before, ScheduledAt: scheduled,
			Progress: Progress{Total: 3, Planned: 3}}, StateSubmitted},
		{"exactly at scheduled time", Facts{Now: scheduled, ScheduledAt: scheduled,
			Progress: Progress{Total: 3, Planned: 3}}, StateQueued},
		{"paused before scheduled time", Facts{Now: before, ScheduledAt: scheduled, Paused: true,
			Progress: Progress{Total: 3, Planned: 3}}, StatePaused},
		{"cancelled before scheduled time", Facts{Now: before, ScheduledAt: scheduled, CancelledAt: ptr(before),
			Progress: Progress{Total: 3, Planned: 3}}, StateFailed},
		{"due, runs queued", Facts{Now: after, ScheduledAt: scheduled,
			Progress: Progress{Total: 3, Planned: 2, Queued: 1}}, StateQueued},
		{"one running", Facts{Now: after, ScheduledAt: scheduled,
			Progress: Progress{Total: 3, Planned: 2, Running: 1}}, StateRunning},
		{"one finished, next queued", Facts{Now: after, ScheduledAt: scheduled,
			Progress: Progress{Total: 3, Planned: 1, Queued: 1, Success: 1}}, StateRunning},
		{"one failed, others planned", Facts{Now: after, ScheduledAt: scheduled,
			Progress: Progress{Total: 3, Planned: 2, Failed: 1}}, StateRunning},
		{"paused while running", Facts{Now: after, ScheduledAt: scheduled, Paused: true,
			Progress: Progress{Total: 3, Planned: 1, Running: 1, Success: 1}}, StatePaused},
		{"all succeeded", Facts{Now: after, ScheduledAt: scheduled,
			Progress: Progress{Total: 3, Success: 3, Skipped: 2}}, StateSuccess},
		{"all finished, one failed", Facts{Now: after, ScheduledAt: scheduled,
			Progress: Progress{Total: 3, Success: 2, Failed: 1}}, StateFailed},
		{"finished while paused", Facts{Now: after, ScheduledAt: scheduled, Paused: true,
			Progress: Progress{Total: 2, Success: 2}}, StateSuccess},
		{"everything skipped", Facts{Now: after, ScheduledAt: scheduled,
			Progress: Progress{Skipped: 4}}, StateSuccess},
		{"everything skipped, before scheduled time", Facts{Now: before, ScheduledAt: scheduled,
			Progress: Progress{Skipped: 4}}, StateSuccess},
		{"cancelled while running", Facts{Now: after, ScheduledAt: scheduled, CancelledAt: ptr(after),
			Progress: Progress{Total: 3, Running: 1, Success: 1, Planned: 1}}, StateFailed},
		{"cancelled after all succeeded", Facts{Now: after, ScheduledAt: scheduled, CancelledAt: ptr(after),
			Progress: Progress{Total: 1, Success: 1}}, StateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DeriveState(tt.f)
			if got != tt.want {
				t.Errorf("DeriveState = %s, want %s", got, tt.want)
			}
			if Finished(got) != (tt.want == StateSuccess || tt.want == StateFailed) {
				t.Errorf("Finished(%s) = %v", got, Finished(got))
			}
		})
	}
}

func TestFinished(t *testing.T) {
	want := map[State]bool{StateSubmitted: false, StateQueued: false, StateRunning: false,
		StatePaused: false, StateSuccess: true, StateFailed: true, "": false}
	for s, w := range want {
		if Finished(s) != w {
			t.Errorf("Finished(%q) = %v", s, !w)
		}
	}
}

func TestElapsed(t *testing.T) {
	start, end, now := t0, t0.Add(90*time.Minute), t0.Add(3*time.Hour)
	running := Progress{Total: 2, Running: 1, Success: 1}
	done := Progress{Total: 2, Success: 2}
	tests := []struct {
		name string
		f    Facts
		want time.Duration
		ok   bool
	}{
		{"not started", Facts{Now: now, Progress: Progress{Total: 2, Planned: 2}}, 0, false},
		{"running counts to now", Facts{Now: now, Progress: running, FirstRunStart: &start, LastRunEnd: &end}, 3 * time.Hour, true},
		{"finished counts to last end", Facts{Now: now, Progress: done, FirstRunStart: &start, LastRunEnd: &end}, 90 * time.Minute, true},
		{"finished without an end", Facts{Now: now, Progress: done, FirstRunStart: &start}, 3 * time.Hour, true},
		{"clock before start", Facts{Now: start.Add(-time.Second), Progress: running, FirstRunStart: &start}, 0, true},
	}
	for _, tt := range tests {
		got, ok := Elapsed(tt.f)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: Elapsed = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func planItems() []Item {
	// sort ordinals 1..6: create, skip, rerun, create, create, skip
	disp := []Disposition{DispositionCreate, DispositionSkip, DispositionRerun, DispositionCreate,
		DispositionCreate, DispositionSkip}
	items := make([]Item, len(disp))
	for i, d := range disp {
		items[i] = Item{SortOrdinal: i + 1, Disposition: d, RunID: fmt.Sprintf("r%d", i+1)}
	}
	return items
}

func ordinals(items []Item) string {
	s := ""
	for _, it := range items {
		s += fmt.Sprint(it.SortOrdinal)
	}
	return s
}

func TestNextToCreate(t *testing.T) {
	tests := []struct {
		name      string
		created   []string
		active    int
		maxActive int
		want      string
	}{
		{"fresh, one slot", nil, 0, 1, "1"},
		{"fresh, three slots", nil, 0, 3, "134"},
		{"full", []string{"r1"}, 1, 1, ""},
		{"over full", []string{"r1", "r3"}, 3, 2, ""},
		{"first done, one slot", []string{"r1"}, 0, 1, "3"},
		{"two done, two slots, one active", []string{"r1", "r3"}, 1, 2, "4"},
		{"skips are never created", []string{"r1", "r3", "r4"}, 0, 3, "5"},
		{"all created", []string{"r1", "r3", "r4", "r5"}, 0, 3, ""},
		{"created set of another plan", []string{"x"}, 0, 2, "13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created := map[string]bool{}
			for _, id := range tt.created {
				created[id] = true
			}
			got := NextToCreate(planItems(), created, tt.active, tt.maxActive)
			if got == nil {
				t.Fatal("nil slice")
			}
			if s := ordinals(got); s != tt.want {
				t.Errorf("got %q, want %q", s, tt.want)
			}
		})
	}
	// Items out of order are returned in sort order (a backwards plan read
	// back by date).
	items := planItems()
	items[0], items[4] = items[4], items[0]
	if s := ordinals(NextToCreate(items, nil, 0, 2)); s != "13" {
		t.Errorf("unsorted input: got %q", s)
	}
}

func TestFreeSlots(t *testing.T) {
	for _, c := range [][3]int{{0, 1, 1}, {0, 3, 3}, {2, 3, 1}, {3, 3, 0}, {5, 3, 0}} {
		if got := FreeSlots(c[0], c[1]); got != c[2] {
			t.Errorf("FreeSlots(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}

func TestOverlaps(t *testing.T) {
	d := func(n int) time.Time { return time.Date(2024, 1, n, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		a1, a2, b1, b2 int
		want           bool
	}{
		{1, 5, 6, 9, false},
		{1, 5, 5, 9, true}, // inclusive ends touch
		{5, 9, 1, 5, true},
		{1, 9, 3, 4, true}, // containment
		{3, 4, 1, 9, true},
		{1, 1, 1, 1, true},
		{6, 9, 1, 5, false},
		{2, 3, 2, 3, true},
	}
	for _, tt := range tests {
		if got := Overlaps(d(tt.a1), d(tt.a2), d(tt.b1), d(tt.b2)); got != tt.want {
			t.Errorf("Overlaps(%d-%d, %d-%d) = %v", tt.a1, tt.a2, tt.b1, tt.b2, got)
		}
	}
	// Sub-day precision: one nanosecond apart do not overlap.
	if Overlaps(d(1), d(2), d(2).Add(time.Nanosecond), d(3)) {
		t.Error("disjoint by a nanosecond reported as overlapping")
	}
}

func TestDueForDeletion(t *testing.T) {
	sub := t0
	deadline := t0.Add(7 * 24 * time.Hour)
	if !DeleteAt(sub, 7).Equal(deadline) {
		t.Fatalf("DeleteAt = %v", DeleteAt(sub, 7))
	}
	tests := []struct {
		name  string
		state State
		days  int
		now   time.Time
		want  bool
	}{
		{"success, before", StateSuccess, 7, deadline.Add(-time.Second), false},
		{"success, at deadline", StateSuccess, 7, deadline, true},
		{"success, after", StateSuccess, 7, deadline.Add(time.Hour), true},
		{"failed, after", StateFailed, 7, deadline.Add(time.Hour), true},
		{"running, long after", StateRunning, 7, deadline.Add(100 * 24 * time.Hour), false},
		{"paused, after", StatePaused, 7, deadline.Add(time.Hour), false},
		{"submitted, after", StateSubmitted, 7, deadline.Add(time.Hour), false},
		{"one day", StateSuccess, 1, sub.Add(24 * time.Hour), true},
		{"one day, not yet", StateSuccess, 1, sub.Add(23 * time.Hour), false},
		{"zero days is never due", StateSuccess, 0, deadline, false},
	}
	for _, tt := range tests {
		if got := DueForDeletion(tt.state, sub, tt.days, tt.now); got != tt.want {
			t.Errorf("%s: DueForDeletion = %v", tt.name, got)
		}
	}
}
