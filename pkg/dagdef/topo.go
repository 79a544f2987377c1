package dagdef

// TopologicalOrder returns the task ids so that every task comes after all
// its upstream tasks, as Airflow's grid lists them; among tasks that are
// ready at the same time, serialized order decides (stable and repeatable).
// Edges to unknown tasks are ignored; tasks on a cycle (which Airflow
// refuses to load) come last in serialized order.
func (d *DAG) TopologicalOrder() []string {
	known := make(map[string]bool, len(d.TaskIDs))
	for _, id := range d.TaskIDs {
		known[id] = true
	}
	indeg := make(map[string]int, len(d.TaskIDs))
	for _, id := range d.TaskIDs {
		for _, down := range d.Downstream[id] {
			if known[down] && down != id {
				indeg[down]++
			}
		}
	}
	done := make(map[string]bool, len(d.TaskIDs))
	order := make([]string, 0, len(d.TaskIDs))
	for len(order) < len(d.TaskIDs) {
		progressed := false
		// The first ready task in serialized order, one at a time, so that a
		// task freed by an earlier pick still yields to earlier ready ones.
		for _, id := range d.TaskIDs {
			if done[id] || indeg[id] > 0 {
				continue
			}
			done[id] = true
			order = append(order, id)
			for _, down := range d.Downstream[id] {
				if known[down] && down != id {
					indeg[down]--
				}
			}
			progressed = true
			break
		}
		if !progressed {
			for _, id := range d.TaskIDs {
				if !done[id] {
					done[id] = true
					order = append(order, id)
				}
			}
		}
	}
	return order
}
