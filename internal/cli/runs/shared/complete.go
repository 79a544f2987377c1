package shared

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/store"
)

// CompleteRunIDs completes RUN_ID arguments with the run ids of the DAG named
// by --dag-id (nothing until --dag-id is given, or when the database cannot be reached).
func CompleteRunIDs(f *cmdutil.Factory, maxArgs int) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		dagID, _ := cmd.Flags().GetString("dag-id")
		if dagID == "" || (maxArgs > 0 && len(args) >= maxArgs) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ids := f.CompleteWith(func(ctx context.Context, st *store.Store) []string {
			runs, err := st.ListRuns(ctx, store.RunFilter{DagID: dagID, Limit: 1000})
			if err != nil {
				return nil
			}
			out := make([]string, 0, len(runs))
			for _, r := range runs {
				out = append(out, r.RunID)
			}
			return out
		})
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
}
