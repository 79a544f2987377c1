// Package get implements `dagctl backfill get ID`.
package get

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/backfill/shared"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/rbac"
)

// Options are the flags of backfill get.
type Options struct {
	ID   string
	Runs bool
}

// NewCmdGet builds `dagctl backfill get`.
func NewCmdGet(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "get BACKFILL_ID",
		Short: "Show one backfill with its derived state and progress",
		Example: `  dagctl backfill get etl_backfill_20240601_120000
  dagctl backfill get etl_backfill_20240601_120000 --runs -o json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: shared.CompleteBackfillIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			st, err := f.Store(cmd.Context())
			if err != nil {
				return err
			}
			sum, err := backfillops.Get(cmd.Context(), st, opts.ID, f.Now())
			if err != nil {
				return err
			}
			if err := f.Authorize(cmd.Context(), rbac.Read, sum.Backfill.DagID); err != nil {
				return err
			}
			return f.Print(shared.One(backfillops.NewView(sum, opts.Runs)))
		},
	}
	cmd.Flags().BoolVar(&opts.Runs, "runs", false, "add each logical date's run id, state and skip reason")
	return cmd
}
