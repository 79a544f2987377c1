package shared

import (
	"context"
	"time"

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
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if f.Global.ConnectTimeout == 0 {
			f.Global.ConnectTimeout = 2 * time.Second
		}
		st, err := f.Store(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		bs, err := st.ListBackfills(ctx, store.BackfillFilter{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ids := make([]string, len(bs))
		for i, b := range bs {
			ids[i] = b.ID
		}
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
}
