package shared

import (
	"context"
	"fmt"
	"time"

	"github.com/jedib0t/go-pretty/v6/progress"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/pkg/backfill"
)

// Follow polls a backfill until it finishes or the timeout passes. On
// Airflow 2 each poll also does reconcile's work for it (top-up), so one CI
// step runs a whole backfill without cron. It shows a progress bar on a
// terminal and one plain line per change otherwise. Success returns nil;
// a failed backfill exit 1; a timeout exit 124.
func Follow(ctx context.Context, f *cmdutil.Factory, id string, timeout, interval time.Duration) (backfillops.Summary, error) {
	st, err := f.Store(ctx)
	if err != nil {
		return backfillops.Summary{}, err
	}
	user, err := f.User(ctx)
	if err != nil {
		return backfillops.Summary{}, err
	}
	deadline := f.Now().Add(timeout)
	bar := newBar(f, id)
	defer bar.stop()
	last := ""
	for {
		if _, err := backfillops.Reconcile(ctx, st, id, user); err != nil {
			return backfillops.Summary{}, err
		}
		sum, err := backfillops.Get(ctx, st, id, f.Now())
		if err != nil {
			return sum, err
		}
		p := sum.Progress
		line := fmt.Sprintf("%s: %s, %d/%d done (queued %d, running %d, success %d, failed %d, planned %d, skipped %d)",
			id, sum.State, p.Success+p.Failed, p.Total, p.Queued, p.Running, p.Success, p.Failed, p.Planned, p.Skipped)
		if bar.enabled {
			bar.update(sum)
		} else if line != last {
			f.IO.Infof("%s", line)
		}
		last = line
		switch sum.State {
		case backfill.StateSuccess:
			return sum, nil
		case backfill.StateFailed:
			return sum, apperr.FailedResult("backfill %q failed: %d of %d runs failed", id, p.Failed, p.Total)
		}
		if !f.Now().Before(deadline) {
			return sum, apperr.Timeout("backfill wait: %q is still %s after %s", id, sum.State, timeout)
		}
		wait := min(interval, max(deadline.Sub(f.Now()), time.Millisecond))
		select {
		case <-ctx.Done():
			return sum, ctx.Err()
		case <-time.After(wait):
		}
	}
}

type bar struct {
	enabled bool
	pw      progress.Writer
	tracker *progress.Tracker
}

func newBar(f *cmdutil.Factory, id string) *bar {
	if !f.IO.IsStderrTTY() || f.IO.Quiet {
		return &bar{}
	}
	pw := progress.NewWriter()
	pw.SetOutputWriter(f.IO.ErrOut)
	pw.SetAutoStop(false)
	pw.SetTrackerLength(30)
	pw.SetUpdateFrequency(200 * time.Millisecond)
	pw.Style().Visibility.ETA = false
	pw.Style().Visibility.Speed = false
	t := &progress.Tracker{Message: id, Total: 1, Units: progress.UnitsDefault}
	pw.AppendTracker(t)
	go pw.Render()
	return &bar{enabled: true, pw: pw, tracker: t}
}

func (b *bar) update(sum backfillops.Summary) {
	p := sum.Progress
	b.tracker.UpdateTotal(int64(max(p.Total, 1)))
	b.tracker.SetValue(int64(p.Success + p.Failed))
	b.tracker.UpdateMessage(fmt.Sprintf("%s %s (running %d, failed %d)", sum.Backfill.ID, sum.State, p.Running, p.Failed))
}

func (b *bar) stop() {
	if b.enabled {
		b.tracker.MarkAsDone()
		time.Sleep(250 * time.Millisecond)
		b.pw.Stop()
	}
}
