package dbtest

import "testing"

// WithFixture stacks an extra file on the chosen layers; the same fixture on
// a different stack gets its own template, and a missing one is an error.
func TestWithFixtureLayers(t *testing.T) {
	onDags, err := collect([]Option{WithSampleDAGs(), WithFixture("ops-base.before")}).layers(Postgres, "2.10.5")
	if err != nil {
		t.Fatal(err)
	}
	alone, err := collect([]Option{WithFixture("ops-pause.before")}).layers(Postgres, "2.10.5")
	if err != nil {
		t.Fatal(err)
	}
	if len(onDags) != 3 || onDags[2].key != "dags_ops-base.before" || onDags[2].files[0] != "testdata/fixtures/airflow-2.10.5.ops-base.before.postgres.sql" {
		t.Errorf("layers on sample DAGs: %+v", onDags)
	}
	if len(alone) != 2 || alone[1].key != "base_ops-pause.before" {
		t.Errorf("layers on the bare schema: %+v", alone)
	}
	if _, err := collect([]Option{WithFixture("ops-nope")}).layers(Postgres, "2.10.5"); err == nil {
		t.Error("a missing fixture was accepted")
	}
	if _, err := collect([]Option{WithFixture("ops-base.before")}).layers(SQLite, "2.10.5"); err == nil {
		t.Error("a PostgreSQL-only fixture was accepted for SQLite")
	}
	if !HasFixture(Postgres, "3.0.3", "ops-mark-running.before") || HasFixture(SQLite, "3.0.3", "ops-mark-running.before") {
		t.Error("HasFixture disagrees with the files")
	}
}

// The 2.10.5 ops base loads on the sample DAGs with Airflow's sequences set,
// so a new log row does not collide with the fixture's ids.
func TestOpsFixtureLoads(t *testing.T) {
	db := NewPostgres(t, "2.10.5", WithSampleDAGs(), WithFixture("ops-base.before"))
	if n := db.ScalarInt(t, "SELECT count(*) FROM task_instance WHERE dag_id = 'fx_daily_cron'"); n != 6 {
		t.Errorf("%d task instances, want 6", n)
	}
	db.SQL(t, "INSERT INTO log (dttm, event) VALUES (now(), 'x')")
	if id := db.ScalarInt(t, "SELECT max(id) FROM log"); id != 18 {
		t.Errorf("new log id %d, want 18 (after the fixture's 17)", id)
	}
}
