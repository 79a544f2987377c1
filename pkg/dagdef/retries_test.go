package dagdef

import "testing"

func TestTaskRetries(t *testing.T) {
	data := []byte(`{"__version": 2, "dag": {"dag_id": "d", "timezone": "UTC", "tasks": [
		{"__type": "operator", "__var": {"task_id": "a", "retries": 2}},
		{"__type": "operator", "__var": {"task_id": "b"}},
		{"__type": "operator", "__var": {"task_id": "c", "_is_mapped": true, "partial_kwargs": {"retries": 3}}}]}}`)
	d, err := Parse(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"a": 2, "b": 0, "c": 3}
	for k, v := range want {
		if d.TaskRetries[k] != v {
			t.Errorf("retries of %s = %d, want %d", k, d.TaskRetries[k], v)
		}
	}
}
