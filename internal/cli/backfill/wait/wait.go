// Package wait implements `dagctl backfill wait ID`.
package wait

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/backfill/shared"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/rbac"
)

// NewCmdWait builds `dagctl backfill wait`.
func NewCmdWait(f *cmdutil.Factory) *cobra.Command {
	var timeout, interval time.Duration
	cmd := &cobra.Command{
		Use:   "wait BACKFILL_ID",
		Short: "Follow a backfill to its end: exit 0 success, 1 failed, 124 timeout",
		Long: `Follow a backfill until it ends. A progress bar on a terminal; one plain line
per change otherwise. Exit 0 when it succeeded, 1 when it failed, 124 when
--timeout passed first. On Airflow 2 waiting also writes the backfill's next
runs as earlier ones finish (what reconcile does), so one CI step can run a
whole backfill without cron.`,
		Example:           `  dagctl backfill wait etl_backfill_20240601_120000 --timeout 2h`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: shared.CompleteBackfillIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout <= 0 {
				return apperr.Invalid("--timeout: must be positive, e.g. 2h")
			}
			if interval <= 0 {
				return apperr.Invalid("--interval: must be positive, e.g. 10s")
			}
			st, err := f.Store(cmd.Context())
			if err != nil {
				return err
			}
			b, err := st.GetBackfill(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := f.Authorize(cmd.Context(), rbac.Read, b.DagID); err != nil {
				return err
			}
			sum, werr := shared.Follow(cmd.Context(), f, args[0], timeout, interval)
			if sum.Backfill.ID != "" {
				if err := f.Print(shared.One(backfillops.NewView(sum, false))); err != nil {
					return err
				}
			}
			return werr
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 24*time.Hour, "how long to wait")
	cmd.Flags().DurationVar(&interval, "interval", 10*time.Second, "how often to look")
	return cmd
}
