// Package tasks groups the task instance verbs.
package tasks

import (
	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/tasks/list"
)

// NewCmdTasks builds `dagctl tasks`.
func NewCmdTasks(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.NewGroup("tasks", "List a run's task instances and read their logs",
		"  dagctl tasks list manual__2024-06-15T10:30:00+00:00 --dag-id etl --state failed")
	cmd.AddCommand(list.NewCmdList(f, nil))
	return cmd
}
