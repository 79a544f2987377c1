// Package tasks groups the task instance verbs.
package tasks

import (
	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/tasks/list"
	"github.com/dagctl/dagctl/internal/cli/tasks/logs"
)

// NewCmdTasks builds `dagctl tasks`.
func NewCmdTasks(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.NewGroup("tasks", "List a run's task instances and read their logs",
		"  dagctl tasks list manual__2024-06-15T10:30:00+00:00 --dag-id etl --state failed\n"+
			"  dagctl tasks logs manual__2024-06-15T10:30:00+00:00 extract --dag-id etl\n"+
			"  dagctl tasks logs manual__2024-06-15T10:30:00+00:00 load --dag-id etl --try 1")
	cmd.AddCommand(list.NewCmdList(f, nil), logs.NewCmdLogs(f, nil))
	return cmd
}
