package rbac_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/rbac"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type pair = [2]string

// roles seeded into every 2.10.5 database. Names and pairs follow what
// Airflow's sync_perm and DAG access_control write.
var roles = []struct {
	name  string
	perms []pair
}{
	{"Admin", []pair{
		{"can_read", "DAGs"}, {"can_edit", "DAGs"}, {"can_delete", "DAGs"},
		{"can_read", "DAG Runs"}, {"can_create", "DAG Runs"}, {"can_edit", "DAG Runs"},
		{"can_read", "Connections"}, {"menu_access", "DAGs"},
	}},
	{"Viewer", []pair{{"can_read", "DAGs"}, {"can_read", "DAG Runs"}, {"menu_access", "DAGs"}}},
	// per-DAG rights only, including the 2.10 DAG-level "DAG Run:<id>" resource.
	{"etl_team", []pair{
		{"can_read", "DAG:etl"}, {"can_edit", "DAG:etl"}, {"can_create", "DAG Run:etl"},
		{"can_read", "DAG:report"},
	}},
	// two halves of the classic trigger right, held by two different roles.
	{"edit_etl", []pair{{"can_read", "DAG:etl"}, {"can_edit", "DAG:etl"}}},
	{"trigger_any", []pair{{"can_create", "DAG Runs"}}},
	// per-DAG create on a DAG the role may not edit.
	{"run_report", []pair{{"can_read", "DAG:report"}, {"can_create", "DAG Run:report"}}},
}

var users = []struct {
	id     int
	name   string
	active any // true, false or nil
	roles  []string
}{
	{1, "ada", true, []string{"Admin", "Viewer"}},
	{2, "vic", true, []string{"Viewer"}},
	{3, "dora", true, []string{"etl_team"}},
	{4, "carl", true, []string{"edit_etl", "trigger_any"}},
	{5, "eve", true, []string{"edit_etl", "run_report"}},
	{6, "ina", false, []string{"Admin"}},
	{7, "nul", nil, []string{"Admin"}},
	{8, "nora", true, nil},
}

func seed(t *testing.T, db *dbtest.DB) {
	t.Helper()
	perms := map[string]int{}
	views := map[string]int{}
	pvs := map[pair]int{}
	id := func(m map[string]int, table, name string) int {
		if v, ok := m[name]; ok {
			return v
		}
		m[name] = len(m) + 1
		db.SQL(t, "INSERT INTO "+table+" (id, name) VALUES (?, ?)", m[name], name)
		return m[name]
	}
	pvr := 0
	for ri, r := range roles {
		db.SQL(t, "INSERT INTO ab_role (id, name) VALUES (?, ?)", ri+1, r.name)
		for _, p := range r.perms {
			pv, ok := pvs[p]
			if !ok {
				pv = len(pvs) + 1
				pvs[p] = pv
				db.SQL(t, "INSERT INTO ab_permission_view (id, permission_id, view_menu_id) VALUES (?, ?, ?)",
					pv, id(perms, "ab_permission", p[0]), id(views, "ab_view_menu", p[1]))
			}
			pvr++
			db.SQL(t, "INSERT INTO ab_permission_view_role (id, permission_view_id, role_id) VALUES (?, ?, ?)", pvr, pv, ri+1)
		}
	}
	roleID := func(name string) int {
		for i, r := range roles {
			if r.name == name {
				return i + 1
			}
		}
		t.Fatalf("no role %q", name)
		return 0
	}
	ur := 0
	for _, u := range users {
		db.SQL(t, `INSERT INTO ab_user (id, first_name, last_name, username, email, active)
			VALUES (?, ?, ?, ?, ?, ?)`, u.id, u.name, "Test", u.name, u.name+"@example.com", u.active)
		for _, r := range u.roles {
			ur++
			db.SQL(t, "INSERT INTO ab_user_role (id, user_id, role_id) VALUES (?, ?, ?)", ur, u.id, roleID(r))
		}
	}
}

func openStore(t *testing.T, db *dbtest.DB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.OpenOptions{
		Dialect: db.Dialect, DSN: db.DSN(), Redacted: db.Name, HostPort: db.Name,
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newDB(t *testing.T, dialect, release string) *dbtest.DB {
	t.Helper()
	if dialect == dbtest.Postgres {
		return dbtest.NewPostgres(t, release)
	}
	return dbtest.NewSQLite(t, release)
}

var dialects = []string{dbtest.Postgres, dbtest.SQLite}

// countingSource counts permission reads, to check the cache.
type countingSource struct {
	rbac.Source
	reads int
}

func (c *countingSource) FABPermissions(ctx context.Context, id int64) ([][2]string, error) {
	c.reads++
	return c.Source.FABPermissions(ctx, id)
}

func TestStoreFAB(t *testing.T) {
	ctx := context.Background()
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			db := newDB(t, d, "2.10.5")
			st := openStore(t, db)
			if !st.FABTablesPresent() {
				t.Fatal("FABTablesPresent = false on 2.10.5")
			}
			if n, err := st.FABUserCount(ctx); err != nil || n != 0 {
				t.Fatalf("FABUserCount on empty tables = %d, %v; want 0", n, err)
			}
			seed(t, db)
			if n, err := st.FABUserCount(ctx); err != nil || n != int64(len(users)) {
				t.Fatalf("FABUserCount = %d, %v; want %d", n, err, len(users))
			}

			for _, tc := range []struct {
				name string
				want store.FABUser
			}{
				{"dora", store.FABUser{ID: 3, Username: "dora", Active: true, Found: true}},
				{"DoRa", store.FABUser{ID: 3, Username: "dora", Active: true, Found: true}}, // FAB compares lower()
				{"ina", store.FABUser{ID: 6, Username: "ina", Active: false, Found: true}},
				{"nul", store.FABUser{ID: 7, Username: "nul", Active: false, Found: true}},
				{"nobody", store.FABUser{}},
				{"%", store.FABUser{}},
			} {
				got, err := st.FABUser(ctx, tc.name)
				if err != nil {
					t.Fatalf("FABUser(%q): %v", tc.name, err)
				}
				if got != tc.want {
					t.Errorf("FABUser(%q) = %+v, want %+v", tc.name, got, tc.want)
				}
			}

			// ada holds Admin and Viewer: the union, each pair once.
			got, err := st.FABPermissions(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(roles[0].perms)
			assertPairs(t, "ada", got, want)

			got, err = st.FABPermissions(ctx, 4)
			if err != nil {
				t.Fatal(err)
			}
			assertPairs(t, "carl", got, []pair{{"can_read", "DAG:etl"}, {"can_edit", "DAG:etl"}, {"can_create", "DAG Runs"}})

			got, err = st.FABPermissions(ctx, 8)
			if err != nil || len(got) != 0 {
				t.Errorf("FABPermissions(nora, no roles) = %v, %v; want none", got, err)
			}

		})
	}
}

func assertPairs(t *testing.T, who string, got, want []pair) {
	t.Helper()
	sortPairs := func(p []pair) {
		slices.SortFunc(p, func(a, b pair) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
	}
	got, want = slices.Clone(got), slices.Clone(want)
	sortPairs(got)
	sortPairs(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("permissions of %s = %v, want %v", who, got, want)
	}
}

// want is the expected outcome of one Check: "" allowed, else a substring of the denial.
type want map[rbac.Action]string

func TestCheckFAB2105(t *testing.T) {
	ctx := context.Background()
	dags := []string{"etl", "report", "other"}
	cases := []struct {
		user string
		// per DAG id, per action; Service is checked once, with "etl".
		checks   map[string]want
		service  string
		readable []string
		all      bool
	}{
		{
			user: "ada",
			checks: map[string]want{
				"etl":   {rbac.Read: "", rbac.Edit: "", rbac.CreateRun: ""},
				"other": {rbac.Read: "", rbac.Edit: "", rbac.CreateRun: ""},
			},
			service: "", readable: dags, all: true,
		},
		{
			user: "vic",
			checks: map[string]want{
				"etl": {
					rbac.Read:      "",
					rbac.Edit:      `user "vic" may not edit dag "etl": needs can_edit on DAGs or DAG:etl`,
					rbac.CreateRun: `user "vic" may not create runs of dag "etl": needs can_edit on DAGs or DAG:etl`,
				},
			},
			service:  `user "vic" may not act on all dags: needs can_edit on DAGs`,
			readable: dags, all: true,
		},
		{
			user: "dora",
			checks: map[string]want{
				"etl": {rbac.Read: "", rbac.Edit: "", rbac.CreateRun: ""},
				"report": {
					rbac.Read:      "",
					rbac.Edit:      `user "dora" may not edit dag "report": needs can_edit on DAGs or DAG:report`,
					rbac.CreateRun: `user "dora" may not create runs of dag "report": needs can_edit on DAGs or DAG:report`,
				},
				"other": {
					rbac.Read:      `user "dora" may not read dag "other": needs can_read on DAGs or DAG:other`,
					rbac.Edit:      `needs can_edit on DAGs or DAG:other`,
					rbac.CreateRun: `needs can_edit on DAGs or DAG:other`,
				},
			},
			service:  `user "dora" may not act on all dags: needs can_edit on DAGs`,
			readable: []string{"etl", "report"},
		},
		{
			// can_edit on DAG:etl from one role, can_create on DAG Runs from another.
			user: "carl",
			checks: map[string]want{
				"etl": {rbac.Read: "", rbac.Edit: "", rbac.CreateRun: ""},
				"other": {
					rbac.Read:      `needs can_read on DAGs or DAG:other`,
					rbac.CreateRun: `user "carl" may not create runs of dag "other": needs can_edit on DAGs or DAG:other`,
				},
			},
			service:  `needs can_edit on DAGs`,
			readable: []string{"etl"},
		},
		{
			// may edit etl but create runs only of report, which it may not edit.
			user: "eve",
			checks: map[string]want{
				"etl": {
					rbac.Read:      "",
					rbac.Edit:      "",
					rbac.CreateRun: `user "eve" may not create runs of dag "etl": needs can_create on DAG Runs or DAG Run:etl`,
				},
				"report": {
					rbac.Read:      "",
					rbac.CreateRun: `user "eve" may not create runs of dag "report": needs can_edit on DAGs or DAG:report`,
				},
			},
			service:  `needs can_edit on DAGs`,
			readable: []string{"etl", "report"},
		},
		{
			// a user without roles holds nothing.
			user: "nora",
			checks: map[string]want{
				"etl": {
					rbac.Read:      `user "nora" may not read dag "etl": needs can_read on DAGs or DAG:etl`,
					rbac.Edit:      `needs can_edit on DAGs or DAG:etl`,
					rbac.CreateRun: `needs can_edit on DAGs or DAG:etl`,
				},
			},
			service:  `user "nora" may not act on all dags`,
			readable: []string{},
		},
	}
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			db := newDB(t, d, "2.10.5")
			seed(t, db)
			st := openStore(t, db)
			for _, tc := range cases {
				src := &countingSource{Source: st}
				ck, status, err := rbac.New(ctx, rbac.ModeAuto, tc.user, src)
				if err != nil {
					t.Fatalf("New(%s): %v", tc.user, err)
				}
				if !ck.Enforced() || !status.Enforced || status.Mode != rbac.ModeAuto {
					t.Fatalf("New(%s): enforced=%v status=%+v, want enforced", tc.user, ck.Enforced(), status)
				}
				wantReason := `auto: FAB tables with 8 users → enforced as user "` + tc.user + `"`
				if status.Reason != wantReason {
					t.Errorf("reason = %q, want %q", status.Reason, wantReason)
				}
				for dag, w := range tc.checks {
					for action, msg := range w {
						expect(t, tc.user, dag, action, ck.Check(ctx, action, dag), msg)
					}
				}
				expect(t, tc.user, "etl", rbac.Service, ck.Check(ctx, rbac.Service, "etl"), tc.service)

				kept, all, err := ck.Readable(ctx, dags)
				if err != nil {
					t.Fatalf("%s: Readable: %v", tc.user, err)
				}
				if !reflect.DeepEqual(kept, tc.readable) || all != tc.all {
					t.Errorf("%s: Readable = %v, all=%v; want %v, all=%v", tc.user, kept, all, tc.readable, tc.all)
				}
				if src.reads != 1 {
					t.Errorf("%s: permissions read %d times, want once per checker", tc.user, src.reads)
				}
			}
		})
	}
}

func expect(t *testing.T, user, dag string, action rbac.Action, err error, msg string) {
	t.Helper()
	if msg == "" {
		if err != nil {
			t.Errorf("%s: Check(%d, %q) = %v, want allowed", user, action, dag, err)
		}
		return
	}
	if err == nil {
		t.Errorf("%s: Check(%d, %q) allowed, want denied (%s)", user, action, dag, msg)
		return
	}
	if !apperr.Is(err, apperr.KindDenied) || apperr.ExitCode(err) != apperr.ExitDenied {
		t.Errorf("%s: Check(%d, %q) = %v, want a Denied error", user, action, dag, err)
	}
	if !strings.Contains(err.Error(), msg) || strings.Contains(err.Error(), "\n") {
		t.Errorf("%s: Check(%d, %q) = %q, want one line containing %q", user, action, dag, err, msg)
	}
}

var allActions = []rbac.Action{rbac.Read, rbac.Edit, rbac.CreateRun, rbac.Service}

// expectAllDenied checks that every action and Readable are refused with msg.
func expectAllDenied(t *testing.T, ck rbac.Checker, who, msg string) {
	t.Helper()
	ctx := context.Background()
	if !ck.Enforced() {
		t.Errorf("%s: Enforced() = false, want true", who)
	}
	for _, a := range allActions {
		expect(t, who, "etl", a, ck.Check(ctx, a, "etl"), msg)
	}
	kept, _, err := ck.Readable(ctx, []string{"etl"})
	if err == nil || !apperr.Is(err, apperr.KindDenied) || !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: Readable = %v, %v; want Denied containing %q", who, kept, err, msg)
	}
}

func TestUnusableUsers(t *testing.T) {
	ctx := context.Background()
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			db := newDB(t, d, "2.10.5")
			seed(t, db)
			st := openStore(t, db)
			for _, tc := range []struct {
				user, msg, reason string
			}{
				{"nobody", `user "nobody" is not an Airflow user (ab_user): set the acting user with --user NAME, DAGCTL_USER or config user`,
					`FAB tables with 8 users → enforced, but user "nobody" is not an Airflow user: every check denied`},
				{"ina", `Airflow user "ina" is inactive: activate it in Airflow or set another user with --user NAME, DAGCTL_USER or config user`,
					`FAB tables with 8 users → enforced, but user "ina" is inactive: every check denied`},
				{"nul", `Airflow user "nul" is inactive`, `user "nul" is inactive`},
				{"", `no Airflow user is set: set one with --user NAME, DAGCTL_USER or config user`, `but no user is set`},
			} {
				for _, mode := range []rbac.Mode{rbac.ModeAuto, rbac.ModeEnforce} {
					ck, status, err := rbac.New(ctx, mode, tc.user, st)
					if err != nil {
						t.Fatalf("New(%s, %q): %v", mode, tc.user, err)
					}
					if !status.Enforced || !strings.Contains(status.Reason, tc.reason) || !strings.HasPrefix(status.Reason, string(mode)+":") {
						t.Errorf("New(%s, %q) status = %+v, want enforced with %q", mode, tc.user, status, tc.reason)
					}
					expectAllDenied(t, ck, tc.user, tc.msg)
				}
			}

			// A name in another case finds the user, as FAB's find_user does; the
			// stored name is what messages show.
			ck, status, err := rbac.New(ctx, rbac.ModeEnforce, "VIC", st)
			if err != nil {
				t.Fatal(err)
			}
			if status.Reason != `enforce: FAB tables with 8 users → enforced as user "vic"` {
				t.Errorf("reason = %q", status.Reason)
			}
			expect(t, "VIC", "etl", rbac.Read, ck.Check(ctx, rbac.Read, "etl"), "")
			expect(t, "VIC", "etl", rbac.Edit, ck.Check(ctx, rbac.Edit, "etl"), `user "vic" may not edit dag "etl"`)

			// off never checks, even for unknown users.
			ck, status, err = rbac.New(ctx, rbac.ModeOff, "nobody", st)
			if err != nil || ck.Enforced() || status.Enforced || status.Reason != "off: permission checks disabled" {
				t.Fatalf("New(off) = %v, %+v, %v", ck.Enforced(), status, err)
			}
			for _, a := range allActions {
				expect(t, "nobody", "etl", a, ck.Check(ctx, a, "etl"), "")
			}
		})
	}
}

func TestModesWithoutUsersOrTables(t *testing.T) {
	ctx := context.Background()
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			// 2.10.5 as 'airflow db migrate' leaves it: FAB tables, no users.
			empty := openStore(t, newDB(t, d, "2.10.5"))
			ck, status, err := rbac.New(ctx, rbac.ModeAuto, "bob", empty)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Enforced() || status.Enforced || status.Reason != "auto: FAB tables hold no users → off" {
				t.Errorf("auto on empty FAB tables: enforced=%v status=%+v", ck.Enforced(), status)
			}
			expect(t, "bob", "etl", rbac.CreateRun, ck.Check(ctx, rbac.CreateRun, "etl"), "")
			ck, _, err = rbac.New(ctx, rbac.ModeEnforce, "bob", empty)
			if err != nil {
				t.Fatal(err)
			}
			expectAllDenied(t, ck, "bob", `user "bob" is not an Airflow user`)

			// 3.0.3 with the default SimpleAuthManager: no FAB tables at all.
			st := openStore(t, newDB(t, d, "3.0.3"))
			if st.FABTablesPresent() {
				t.Fatal("FABTablesPresent = true on 3.0.3")
			}
			if n, err := st.FABUserCount(ctx); err != nil || n != 0 {
				t.Errorf("FABUserCount on 3.0.3 = %d, %v", n, err)
			}
			if u, err := st.FABUser(ctx, "bob"); err != nil || u.Found {
				t.Errorf("FABUser on 3.0.3 = %+v, %v", u, err)
			}
			ck, status, err = rbac.New(ctx, rbac.ModeAuto, "bob", st)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Enforced() || status.Enforced || status.Reason != "auto: no FAB role tables → off" {
				t.Errorf("auto on 3.0.3: enforced=%v status=%+v", ck.Enforced(), status)
			}
			for _, a := range allActions {
				expect(t, "bob", "etl", a, ck.Check(ctx, a, "etl"), "")
			}
			kept, all, err := ck.Readable(ctx, []string{"etl", "x"})
			if err != nil || !all || len(kept) != 2 {
				t.Errorf("auto on 3.0.3: Readable = %v, %v, %v", kept, all, err)
			}

			ck, status, err = rbac.New(ctx, rbac.ModeEnforce, "bob", st)
			if err != nil {
				t.Fatal(err)
			}
			if !status.Enforced || status.Reason != "enforce: no FAB role tables → every check denied" {
				t.Errorf("enforce on 3.0.3: status=%+v", status)
			}
			expectAllDenied(t, ck, "bob", "permission checks are enforced but this database has no FAB role tables")
			expectAllDenied(t, ck, "bob", "set --rbac, DAGCTL_RBAC or config rbac to auto or off")
		})
	}
}

func TestUnknownMode(t *testing.T) {
	_, _, err := rbac.New(context.Background(), rbac.Mode("strict"), "bob", nil)
	if !apperr.Is(err, apperr.KindInvalid) || !strings.Contains(err.Error(), `"strict"`) {
		t.Errorf("New(strict) error = %v, want Invalid naming the mode", err)
	}
}
