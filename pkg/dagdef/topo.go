package dagdef

import "github.com/dagctl/dagctl/pkg/taskgraph"

// TopologicalOrder returns the task ids in the order Airflow's
// DAG.topological_sort gives them, through the DAG's task groups (see
// taskgraph.TopologicalOrder): every task after its upstream tasks, ties in
// declaration order. The grid and `tasks list` show tasks in this order.
func (d *DAG) TopologicalOrder() []string {
	return taskgraph.TopologicalOrder(d.TaskGroup, d.TaskIDs, d.Downstream)
}
