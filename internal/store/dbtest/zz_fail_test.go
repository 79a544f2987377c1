package dbtest

import "testing"

func TestZZFail(t *testing.T) {
	NewPostgres(t, "3.3.0", WithReferenceRuns())
	db := NewPostgres(t, "2.10.5")
	db.SQL(t, "INSERT INTO variable (key, val, is_encrypted) VALUES ('k', 'v', false)")
	t.Error("deliberate")
}
