package shared

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/store"
)

// CompleteBackfillIDs completes backfill ids from the database (quietly
// nothing when it is unreachable).
func CompleteBackfillIDs(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f.CompleteWith(func(ctx context.Context, st *store.Store) []string {
			bs, err := st.ListBackfills(ctx, store.BackfillFilter{})
			if err != nil {
				return nil
			}
			ids := make([]string, len(bs))
			for i, b := range bs {
				ids[i] = b.ID
			}
			return ids
		}), cobra.ShellCompDirectiveNoFileComp
	}
}
