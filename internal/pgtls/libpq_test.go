package pgtls_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/pgtls"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// psqlSSL connects with psql (libpq) and reports whether it connected and whether the
// connection is encrypted, from the server's view.
func psqlSSL(t *testing.T, psql, conninfo, home string) (ok, ssl bool, out string) {
	t.Helper()
	cmd := exec.Command(psql, "-X", "-At", "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", conninfo)
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH")}
	b, err := cmd.CombinedOutput()
	out = strings.TrimSpace(string(b))
	return err == nil, out == "t", out
}

// TestSameAsLibpq connects with dagctl and with psql under every sslmode, with and without a
// root certificate in ~/.postgresql (trusted or not), by name and by address, to a server that
// accepts both, only TLS, or has TLS off: both must connect or refuse alike, and encrypt alike.
func TestSameAsLibpq(t *testing.T) {
	if testing.Short() {
		t.Skip("about 100 connections each way: not in -short")
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql (libpq) is not installed: nothing to compare with")
	}
	ca := newPKI(t, "dagctl test CA")
	other := newPKI(t, "other CA")
	crt, key := ca.issue(t, "server", "localhost", nil, nil, false)
	srv := dbtest.NewTLSServer(t, dbtest.TLSOptions{CertFile: crt, KeyFile: key})

	homes := map[string]string{"no root.crt": t.TempDir(), "trusted root.crt": t.TempDir(), "untrusted root.crt": t.TempDir()}
	copyTo(t, ca.path("ca.crt"), filepath.Join(homes["trusted root.crt"], ".postgresql", "root.crt"), 0o644)
	copyTo(t, other.path("ca.crt"), filepath.Join(homes["untrusted root.crt"], ".postgresql", "root.crt"), 0o644)

	servers := []struct {
		name string
		opts dbtest.TLSOptions
	}{
		{"plain and TLS", dbtest.TLSOptions{CertFile: crt, KeyFile: key}},
		{"TLS only", dbtest.TLSOptions{CertFile: crt, KeyFile: key, HBA: "local all all trust\nhostssl all all 127.0.0.1/32 trust\n"}},
		{"plain only", dbtest.TLSOptions{CertFile: crt, KeyFile: key, HBA: "local all all trust\nhostnossl all all 127.0.0.1/32 trust\n"}},
		{"TLS off", dbtest.TLSOptions{CertFile: crt, KeyFile: key, SSLOff: true}},
	}
	modes := []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
	for i, sv := range servers {
		if i > 0 {
			srv.Configure(t, sv.opts)
		}
		for _, mode := range modes {
			for homeName, home := range homes {
				hosts := []string{"localhost"}
				if mode == "verify-full" {
					hosts = append(hosts, "127.0.0.1") // the name check; the other modes ignore the name
				}
				for _, host := range hosts {
					conninfo := fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres connect_timeout=5 sslmode=%s", host, srv.Port, mode)
					name := fmt.Sprintf("%s/%s/%s/%s", sv.name, mode, homeName, host)
					lOK, lSSL, out := psqlSSL(t, psql, conninfo, home)
					var r result
					if _, err := pgtls.ParseConfig(conninfo, lookup(nil), home); err != nil {
						r.err = err
					} else {
						r = connect(t, conninfo, nil, home)
					}
					dOK := r.err == nil
					if dOK != lOK || dOK && r.serverSSL != lSSL {
						t.Errorf("%s: libpq connected=%v tls=%v (%s); dagctl connected=%v tls=%v (%v)", name, lOK, lSSL, out, dOK, r.serverSSL, r.err)
					}
					if !dOK {
						msg := connectError(r)
						if strings.Contains(msg, "timed out") || strings.Contains(msg, "timeout") {
							t.Errorf("%s: %q mentions a timeout", name, msg)
						}
					}
				}
			}
		}
	}
}
