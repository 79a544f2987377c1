package integration

import (
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// The sample DAG's "limit" param gets a JSON schema; a conf Airflow would
// reject is refused naming the param, on runs create and backfill create.
func TestConfCheckedAgainstParams(t *testing.T) {
	var targets []target
	for _, tg := range sampleTargets() {
		// jsonb (3.2+) reorders the serialized text; the edit below is textual.
		if tg.Release == "3.2.0" || tg.Release == "3.3.0" {
			continue
		}
		targets = append(targets, tg)
	}
	forEach(t, targets, func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		from := `"default": 10, "description": null, "schema": {"__var": {}, "__type": "dict"}`
		to := `"default": 10, "description": null, "schema": {"__var": {"type": "integer", "minimum": 1}, "__type": "dict"}`
		set := "replace(data, ?, ?)"
		if tg.SQL() == dbtest.Postgres {
			set = "replace(data::text, ?, ?)::json"
		}
		if n := db.SQL(t, "UPDATE serialized_dag SET data = "+set+" WHERE dag_id = 'fx_tags_params'", from, to); n == 0 {
			t.Fatal("no serialized dag edited")
		}
		before := db.Checksum(t)
		for _, conf := range []string{`{"limit": "ten"}`, `{"limit": 0}`} {
			res := r.Run(t, "runs", "create", "--dag-id", "fx_tags_params", "--conf", conf)
			if res.Code != 2 || !strings.Contains(res.Stderr, `"limit"`) {
				t.Errorf("runs create --conf %s: exit %d %q, want 2 naming limit", conf, res.Code, res.Stderr)
			}
			res = r.Run(t, "backfill", "create", "--dag-id", "fx_tags_params", "--start-date", "2024-01-01", "--end-date", "2024-01-02", "--conf", conf)
			if res.Code != 2 || !strings.Contains(res.Stderr, `"limit"`) {
				t.Errorf("backfill create --conf %s: exit %d %q, want 2 naming limit", conf, res.Code, res.Stderr)
			}
		}
		if db.Checksum(t) != before {
			t.Fatal("a refused conf changed the database")
		}
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_tags_params", "--conf", `{"limit": 5, "extra": true}`)
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_tags_params", "--prefix", "defaults")
	})
}
