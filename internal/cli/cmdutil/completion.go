package cmdutil

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/store"
)

// CompleteWith runs fn against the database with a short timeout; it
// completes quietly to nothing when the database is unreachable.
func (f *Factory) CompleteWith(fn func(ctx context.Context, st *store.Store) []string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if f.Global.ConnectTimeout == 0 {
		f.Global.ConnectTimeout = 2 * time.Second
	}
	st, err := f.Store(ctx)
	if err != nil {
		return nil
	}
	return fn(ctx, st)
}

// DagIDs lists DAG ids for completion.
func (f *Factory) DagIDs(cmd *cobra.Command) []string {
	return f.CompleteWith(func(ctx context.Context, st *store.Store) []string {
		dags, err := st.ListDAGs(ctx, store.DAGFilter{IncludeInactive: true})
		if err != nil {
			return nil
		}
		ids := make([]string, len(dags))
		for i, d := range dags {
			ids[i] = d.ID
		}
		return ids
	})
}

// RegisterDagCompletion completes the named flag with DAG ids from the database.
func RegisterDagCompletion(f *Factory, cmd *cobra.Command, flag string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return f.DagIDs(cmd), cobra.ShellCompDirectiveNoFileComp
	})
}

// RegisterValuesCompletion completes a flag with fixed values.
func RegisterValuesCompletion(cmd *cobra.Command, flag string, values ...string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}
