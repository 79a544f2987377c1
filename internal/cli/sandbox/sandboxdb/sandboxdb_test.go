package sandboxdb

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/dagctl/dagctl/internal/apperr"
)

// The embedded files must stay identical to the reference copies the store
// tests use, so the sandbox is the database those tests vouch for.
func TestEmbeddedCopiesMatchTestdata(t *testing.T) {
	for _, rel := range Releases {
		for name, orig := range map[string]string{
			"airflow-" + rel + ".sqlite.sql":             "schemas/airflow-" + rel + ".sqlite.sql",
			"airflow-" + rel + ".postgres.seed.sql":      "schemas/airflow-" + rel + ".postgres.seed.sql",
			"airflow-" + rel + ".sample-dags.sqlite.sql": "fixtures/airflow-" + rel + ".sample-dags.sqlite.sql",
		} {
			want, err := os.ReadFile(filepath.Join("..", "..", "..", "store", "dbtest", "testdata", orig))
			if err != nil {
				t.Fatal(err)
			}
			got, err := files.ReadFile("airflow/" + name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("airflow/%s differs from internal/store/dbtest/testdata/%s; copy it again", name, orig)
			}
		}
	}
}

func TestCreate(t *testing.T) {
	cases := []struct {
		release, revision, dag string
	}{
		{"2.10.5", "5f2621c13b39", "fx_dataset_consumer"},
		{"3.0.3", "fe199e1abd77", "fx_asset_consumer"},
		{"", "fe199e1abd77", "fx_asset_consumer"}, // default release
	}
	for _, c := range cases {
		t.Run("release="+c.release, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sub", "airflow.db")
			info, err := Create(context.Background(), Options{Path: path, Release: c.release})
			if err != nil {
				t.Fatal(err)
			}
			wantRel := c.release
			if wantRel == "" {
				wantRel = DefaultRelease
			}
			if info.Release != wantRel || info.Revision != c.revision || info.URL != "sqlite:///"+path || info.Path != path {
				t.Errorf("info = %+v", info)
			}
			h, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			var rev, pool string
			var slots, dags, templates int
			if err := h.QueryRow("SELECT version_num FROM alembic_version").Scan(&rev); err != nil {
				t.Fatal(err)
			}
			if err := h.QueryRow("SELECT pool, slots FROM slot_pool").Scan(&pool, &slots); err != nil {
				t.Fatal(err)
			}
			if err := h.QueryRow("SELECT count(*) FROM log_template WHERE filename LIKE 'dag_id={{ ti.dag_id }}/%'").Scan(&templates); err != nil {
				t.Fatal(err)
			}
			if err := h.QueryRow("SELECT count(*) FROM dag d JOIN serialized_dag s ON s.dag_id = d.dag_id").Scan(&dags); err != nil {
				t.Fatal(err)
			}
			if rev != c.revision || pool != "default_pool" || slots != 128 || templates != 1 {
				t.Errorf("seed rows: revision %q, pool %q/%d, log templates %d", rev, pool, slots, templates)
			}
			if dags != info.DAGs || dags < 10 {
				t.Errorf("%d serialized DAGs, info says %d", dags, info.DAGs)
			}
			var n int
			if err := h.QueryRow("SELECT count(*) FROM dag WHERE dag_id = ?", c.dag).Scan(&n); err != nil || n != 1 {
				t.Errorf("dag %s: %d rows, %v", c.dag, n, err)
			}
			left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".airflow.db.tmp-*"))
			if len(left) != 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		})
	}
}

func TestCreateRefusesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "airflow.db")
	if err := os.WriteFile(path, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Create(context.Background(), Options{Path: path})
	if !apperr.Is(err, apperr.KindConflict) || apperr.ExitCode(err) != 5 {
		t.Fatalf("err = %v, want a conflict (exit 5)", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Fatalf("existing file was changed: %q", b)
	}
	if err := os.WriteFile(path+"-journal", []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := Create(context.Background(), Options{Path: path, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if info.DAGs == 0 {
		t.Error("forced sandbox has no DAGs")
	}
	if _, err := os.Stat(path + "-journal"); !os.IsNotExist(err) {
		t.Errorf("stale journal kept: %v", err)
	}
}

func TestCreateRejectsUnknownRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "airflow.db")
	_, err := Create(context.Background(), Options{Path: path, Release: "2.9.0"})
	if !apperr.Is(err, apperr.KindInvalid) {
		t.Fatalf("err = %v, want invalid", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("file written for an unknown release: %v", err)
	}
}
