package store

import "testing"

func TestLikeClauseMySQLReescapes(t *testing.T) {
	my := &Store{dialect: DialectMySQL}
	pg := &Store{dialect: DialectPostgres}
	for in, want := range map[string]string{
		likeEscape("a_b%c") + "%": "a!_b!%c%",
		likeEscape(`x\y`) + "%":   `x\y%`,
		likeEscape("bang!") + "%": "bang!!%",
		"fx_%":                    "fx_%", // a glob's wildcards stay wildcards
	} {
		clause, arg := my.likeClause("c", in)
		if clause != "c LIKE ? ESCAPE '!'" || arg != want {
			t.Errorf("mysql likeClause(%q) = %q, %q; want %q", in, clause, arg, want)
		}
		clause, arg = pg.likeClause("c", in)
		if clause != `c LIKE ? ESCAPE '\'` || arg != in {
			t.Errorf("postgres likeClause(%q) = %q, %q", in, clause, arg)
		}
	}
}

func TestMySQLLockNameFits(t *testing.T) {
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'd'
	}
	a, b := mysqlLockName("dagctl.dag:"+string(long)), mysqlLockName("dagctl.dag:"+string(long[1:]))
	if len(a) > 64 || a == b {
		t.Errorf("lock names %q %q: want distinct names of at most 64 characters", a, b)
	}
}
