// Package reconcile implements `dagctl backfill reconcile`.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/rbac"
)

// NewCmdReconcile builds `dagctl backfill reconcile`.
func NewCmdReconcile(f *cmdutil.Factory) *cobra.Command {
	var loop bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "One pass over all backfills: start, top up, finish, expire, purge",
		Long: `One pass over all backfills: release the ones whose scheduled_at has come,
write the next runs of Airflow 2 backfills (at most max_active_runs queued or
running), record the ones that finished, mark finished backfills past
delete_after_days ToBeDeleted, and purge ToBeDeleted ones. Idempotent; safe
from cron every minute on several hosts at once (rows are locked, locked ones
skipped). It acts as a service: with rights enforced, the user needs can_edit
on DAGs.

  * * * * * dagctl backfill reconcile -q`,
		Example: `  dagctl backfill reconcile
  dagctl backfill reconcile --loop --interval 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval <= 0 {
				return apperr.Invalid("--interval: must be positive, e.g. 30s")
			}
			ctx := cmd.Context()
			failures := 0
			for {
				rep, err := pass(ctx, f)
				if !loop {
					var partial *backfillops.PassError
					if err != nil && !errors.As(err, &partial) {
						return err
					}
					if perr := print(f, rep); perr != nil {
						return perr
					}
					return err
				}
				wait := interval
				var partial *backfillops.PassError
				if err != nil && !errors.As(err, &partial) {
					if errors.Is(err, context.Canceled) || ctx.Err() != nil {
						return nil
					}
					if apperr.KindOf(err) != apperr.KindFailure {
						return err // bad settings or no rights: retrying will not help
					}
					// Keep going: the database may be back at a later pass. Back off
					// (doubling, at most 16 intervals or 5 minutes) so an outage is a few lines, not a flood.
					failures++
					wait = backoff(interval, failures)
					f.IO.Infof("reconcile: pass failed (retry %d in %s): %s", failures, wait, oneLine(f.Redact(err.Error())))
					f.Close()
				} else {
					if partial != nil {
						// The others were served; the next pass tries these again.
						f.IO.Infof("reconcile: %s", oneLine(f.Redact(err.Error())))
					}
					if failures > 0 {
						f.IO.Infof("reconcile: database reachable again after %d failed pass(es)", failures)
					}
					failures = 0
					if len(rep.Completed)+len(rep.Purged)+len(rep.Expired)+rep.Started > 0 {
						f.IO.Infof("reconcile: examined %d, started %d, completed %v, expired %v, purged %v",
							rep.Examined, rep.Started, rep.Completed, rep.Expired, rep.Purged)
					}
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(wait):
				}
			}
		},
	}
	cmd.Flags().BoolVar(&loop, "loop", false, "run a pass every --interval until interrupted")
	cmd.Flags().DurationVar(&interval, "interval", 30*time.Second, "with --loop: time between passes")
	return cmd
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// backoff doubles the interval with each consecutive failure, up to 16
// intervals and at most 5 minutes (never less than the interval itself).
func backoff(interval time.Duration, failures int) time.Duration {
	limit := max(min(16*interval, 5*time.Minute), interval)
	d := interval
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

func pass(ctx context.Context, f *cmdutil.Factory) (backfillops.Report, error) {
	st, err := f.Store(ctx)
	if err != nil {
		return backfillops.Report{}, err
	}
	if err := st.CheckWritable(); err != nil {
		return backfillops.Report{}, err
	}
	if err := f.Authorize(ctx, rbac.Service, ""); err != nil {
		return backfillops.Report{}, err
	}
	user, err := f.User(ctx)
	if err != nil {
		return backfillops.Report{}, err
	}
	rep, err := backfillops.Reconcile(ctx, st, "", user)
	if err != nil {
		return rep, fmt.Errorf("reconcile pass: %w", err)
	}
	return rep, nil
}

func print(f *cmdutil.Factory, rep backfillops.Report) error {
	return f.Print(output.Result{
		Data: rep,
		Table: func() output.Rows {
			join := func(xs []string) string {
				s := ""
				for i, x := range xs {
					if i > 0 {
						s += ","
					}
					s += x
				}
				return s
			}
			return output.Rows{Headers: []string{"examined", "started", "completed", "expired", "purged"},
				Rows: [][]string{{output.Int(int64(rep.Examined)), output.Int(int64(rep.Started)), join(rep.Completed), join(rep.Expired), join(rep.Purged)}}}
		},
	})
}
