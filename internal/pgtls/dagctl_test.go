package pgtls_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/clitest"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// TestDagctlConnectsAsLibpq runs dagctl itself (store.Open, doctor) against a
// TLS server: a certificate with only a Common Name is verified with
// verify-full and libpq's default ~/.postgresql/root.crt, doctor says so,
// and a wrong host name is one line naming the cause, never a timeout.
func TestDagctlConnectsAsLibpq(t *testing.T) {
	ca := newPKI(t, "dagctl test CA")
	crt, key := ca.issue(t, "server-cn", "localhost", nil, nil, false)
	srv := dbtest.NewTLSServer(t, dbtest.TLSOptions{CertFile: crt, KeyFile: key})
	r := clitest.New(t, nil)
	home := r.Env["HOME"]
	if err := os.MkdirAll(filepath.Join(home, ".postgresql"), 0o700); err != nil {
		t.Fatal(err)
	}
	copyTo(t, ca.path("ca.crt"), filepath.Join(home, ".postgresql", "root.crt"), 0o600)

	url := fmt.Sprintf("postgresql://postgres@localhost:%d/postgres?sslmode=verify-full", srv.Port)
	res := r.Run(t, "--db", url, "doctor", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("doctor over verify-full: exit %d: %s", res.Code, res.Stderr)
	}
	var rep struct {
		TLS struct {
			Enabled  bool   `json:"enabled"`
			Mode     string `json:"sslmode"`
			RootCert string `json:"root_cert"`
		} `json:"tls"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.TLS.Enabled || rep.TLS.Mode != "verify-full" || !strings.HasSuffix(rep.TLS.RootCert, "root.crt") {
		t.Errorf("doctor tls = %+v, want on, verify-full, ~/.postgresql/root.crt", rep.TLS)
	}
	table := r.MustRun(t, 0, "--db", url, "doctor")
	if !strings.Contains(table.Stdout, "chain and host name") {
		t.Errorf("doctor table does not say the certificate was verified:\n%s", table.Stdout)
	}

	wrongHost := fmt.Sprintf("postgresql://postgres@127.0.0.1:%d/postgres?sslmode=verify-full", srv.Port)
	res = r.Run(t, "--db", wrongHost, "doctor")
	if res.Code != 1 || strings.Contains(res.Stderr, "timed out") || strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 ||
		!strings.Contains(res.Stderr, "127.0.0.1") {
		t.Errorf("wrong host name: exit %d, %q; want exit 1, one line naming the host, no timeout", res.Code, res.Stderr)
	}
}
