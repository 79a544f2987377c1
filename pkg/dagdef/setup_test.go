package dagdef

import (
	"reflect"
	"testing"
)

// SerializedBaseOperator writes is_setup / is_teardown only when true (2.7+).
func TestSetupTeardown(t *testing.T) {
	for _, version := range []string{"1", "2"} {
		data := []byte(`{"__version": ` + version + `, "dag": {"dag_id": "d", "_dag_id": "d", "timezone": "UTC", "tasks": [
			{"__type": "operator", "__var": {"task_id": "s", "is_setup": true, "downstream_task_ids": ["w", "td"]}},
			{"__type": "operator", "__var": {"task_id": "w", "downstream_task_ids": ["td"]}},
			{"__type": "operator", "__var": {"task_id": "td", "is_teardown": true}},
			{"__type": "operator", "__var": {"task_id": "n", "is_setup": false, "is_teardown": false}}]}}`)
		d, err := Parse(data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]bool{"s": true}; !reflect.DeepEqual(d.Setup, want) {
			t.Errorf("v%s: Setup = %v, want %v", version, d.Setup, want)
		}
		if want := map[string]bool{"td": true}; !reflect.DeepEqual(d.Teardown, want) {
			t.Errorf("v%s: Teardown = %v, want %v", version, d.Teardown, want)
		}
	}
}
