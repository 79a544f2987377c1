package pgtls_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dagctl/dagctl/internal/config"
	"github.com/dagctl/dagctl/internal/pgtls"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type result struct {
	state     pgtls.TLSState
	serverSSL bool // pg_stat_ssl.ssl, the server's view
	err       error
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// connect parses dsn with ParseConfig and connects with pgx, as store.Open will.
func connect(t *testing.T, dsn string, env map[string]string, home string) result {
	t.Helper()
	cfg, err := pgtls.ParseConfig(dsn, lookup(env), home)
	if err != nil {
		return result{err: err}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return result{err: err}
	}
	defer conn.Close(ctx)
	var r result
	if err := conn.QueryRow(ctx, `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&r.serverSSL); err != nil {
		t.Fatalf("query pg_stat_ssl: %v", err)
	}
	r.state = pgtls.Describe(conn.PgConn())
	return r
}

// connectError is the one line dagctl would print for r.err: Explain's, else the error's.
func connectError(r result) string {
	if msg, ok := pgtls.Explain(r.err); ok {
		return msg
	}
	return r.err.Error()
}

// psqlAccepts runs psql (libpq) with the same connection string and HOME, when psql is
// installed, and reports whether it connected; ok is false without psql.
func psqlAccepts(t *testing.T, dsn, home string) (accepted, ok bool, out string) {
	t.Helper()
	psql, err := exec.LookPath("psql")
	if err != nil {
		return false, false, ""
	}
	cmd := exec.Command(psql, "-X", "-At", "-c", "SELECT 1", dsn)
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "PGCONNECT_TIMEOUT=5"}
	cmd.Env = env
	b, err := cmd.CombinedOutput()
	return err == nil, true, string(b)
}

func TestLibpqTLS(t *testing.T) {
	ca := newPKI(t, "dagctl test CA")
	other := newPKI(t, "some other CA")
	cnCrt, cnKey := ca.issue(t, "server-cn", "localhost", nil, nil, false)
	sanCrt, sanKey := ca.issue(t, "server-san", "not-the-host", []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}, false)

	srv := dbtest.NewTLSServer(t, dbtest.TLSOptions{CertFile: cnCrt, KeyFile: cnKey})
	dsn := func(host, extra string) string {
		return strings.TrimSpace(fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres connect_timeout=5 %s", host, srv.Port, extra))
	}
	emptyHome := t.TempDir()
	none := map[string]string{}
	caFile := ca.path("ca.crt")

	// Each case is also run through psql when it is installed: dagctl must accept and refuse
	// what libpq accepts and refuses.
	compare := func(t *testing.T, conninfo, home string, wantOK bool) {
		t.Helper()
		accepted, ok, out := psqlAccepts(t, conninfo, home)
		if ok && accepted != wantOK {
			t.Errorf("psql (libpq) accepted=%v for %q, dagctl accepted=%v; psql said: %s", accepted, conninfo, wantOK, strings.TrimSpace(out))
		}
	}

	t.Run("verify-full accepts a certificate with only a Common Name, as libpq does", func(t *testing.T) {
		conninfo := dsn("localhost", "sslmode=verify-full sslrootcert="+caFile)
		r := connect(t, conninfo, none, emptyHome)
		if r.err != nil {
			t.Fatalf("connect: %v", r.err)
		}
		if !r.serverSSL || !r.state.Enabled || r.state.Verified != pgtls.VerifyFull || r.state.Mode != "verify-full" || r.state.RootCert != caFile {
			t.Errorf("state %+v, server ssl %v", r.state, r.serverSSL)
		}
		if s := r.state.String(); !strings.Contains(s, "chain and host name") || !strings.Contains(s, "sslmode=verify-full") {
			t.Errorf("String() = %q", s)
		}
		compare(t, conninfo, emptyHome, true)
	})

	t.Run("verify-full refuses a wrong host name with one clear line", func(t *testing.T) {
		conninfo := dsn("127.0.0.1", "sslmode=verify-full sslrootcert="+caFile)
		r := connect(t, conninfo, none, emptyHome)
		if r.err == nil {
			t.Fatal("connected to a server whose certificate is for localhost as 127.0.0.1")
		}
		var ve *pgtls.VerifyError
		if !errors.As(r.err, &ve) {
			t.Fatalf("error is not a VerifyError: %v", r.err)
		}
		msg := connectError(r)
		for _, want := range []string{`"localhost" (Common Name)`, `"127.0.0.1"`, "verify-full"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q lacks %q", msg, want)
			}
		}
		if strings.Contains(msg, "\n") || strings.Contains(msg, "timed out") || strings.Contains(msg, "timeout") {
			t.Errorf("message %q: want one line and no timeout", msg)
		}
		compare(t, conninfo, emptyHome, false)
	})

	t.Run("through database/sql (stdlib.OpenDB), as store.Open connects", func(t *testing.T) {
		cfg, err := pgtls.ParseConfig(dsn("localhost", "sslmode=verify-full sslrootcert="+caFile), lookup(none), emptyHome)
		if err != nil {
			t.Fatal(err)
		}
		db := stdlib.OpenDB(*cfg)
		defer db.Close()
		st, err := pgtls.DescribeDB(context.Background(), db)
		if err != nil || !st.Enabled || st.Verified != pgtls.VerifyFull || st.ServerCert != `"localhost" (Common Name)` {
			t.Fatalf("err %v state %+v", err, st)
		}
		var ssl bool
		if err := db.QueryRow(`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl); err != nil || !ssl {
			t.Errorf("server side: ssl %v err %v", ssl, err)
		}
	})

	t.Run("verify-ca does not check the host name", func(t *testing.T) {
		conninfo := dsn("127.0.0.1", "sslmode=verify-ca sslrootcert="+caFile)
		r := connect(t, conninfo, none, emptyHome)
		if r.err != nil || r.state.Verified != pgtls.VerifyChain {
			t.Fatalf("err %v state %+v", r.err, r.state)
		}
		compare(t, conninfo, emptyHome, true)
	})

	t.Run("a certificate from another CA is refused under verify-ca", func(t *testing.T) {
		conninfo := dsn("localhost", "sslmode=verify-ca sslrootcert="+other.path("ca.crt"))
		r := connect(t, conninfo, none, emptyHome)
		if r.err == nil {
			t.Fatal("connected with an untrusted certificate")
		}
		if msg := connectError(r); !strings.Contains(msg, "not trusted by sslrootcert "+other.path("ca.crt")) || strings.Contains(msg, "\n") {
			t.Errorf("message %q", msg)
		}
		compare(t, conninfo, emptyHome, false)
	})

	t.Run("default ~/.postgresql/root.crt is used for verify-full", func(t *testing.T) {
		home := t.TempDir()
		copyTo(t, caFile, filepath.Join(home, ".postgresql", "root.crt"), 0o644)
		conninfo := dsn("localhost", "sslmode=verify-full")
		r := connect(t, conninfo, none, home)
		if r.err != nil {
			t.Fatalf("connect: %v", r.err)
		}
		if want := filepath.Join(home, ".postgresql", "root.crt"); r.state.RootCert != want || r.state.Verified != pgtls.VerifyFull {
			t.Errorf("state %+v, want root cert %s", r.state, want)
		}
		compare(t, conninfo, home, true)
		// and the same home with the wrong name: both refuse.
		compare(t, dsn("127.0.0.1", "sslmode=verify-full"), home, false)
	})

	t.Run("require with a root certificate file present verifies the chain, as libpq does", func(t *testing.T) {
		home := t.TempDir()
		copyTo(t, other.path("ca.crt"), filepath.Join(home, ".postgresql", "root.crt"), 0o644)
		conninfo := dsn("localhost", "sslmode=require")
		if r := connect(t, conninfo, none, home); r.err == nil {
			t.Fatalf("require connected although ~/.postgresql/root.crt does not trust the server: %+v", r.state)
		}
		compare(t, conninfo, home, false)
	})

	t.Run("missing root.crt with verify-full names the file", func(t *testing.T) {
		home := t.TempDir()
		_, err := pgtls.ParseConfig(dsn("localhost", "sslmode=verify-full"), lookup(none), home)
		want := filepath.Join(home, ".postgresql", "root.crt")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "sslrootcert") || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("err = %v, want one naming %s and sslrootcert", err, want)
		}
		if !errors.Is(err, config.ErrInvalid) {
			t.Errorf("err %v is not a configuration error", err)
		}
		compare(t, dsn("localhost", "sslmode=verify-full"), home, false)
	})

	t.Run("sslmode=bogus names sslmode, no timeout", func(t *testing.T) {
		for _, tc := range []struct {
			dsn    string
			env    map[string]string
			source string
		}{
			{dsn("localhost", "sslmode=bogus"), none, "sslmode"},
			{dsn("localhost", ""), map[string]string{"PGSSLMODE": "bogus"}, "env PGSSLMODE"},
		} {
			_, err := pgtls.ParseConfig(tc.dsn, lookup(tc.env), emptyHome)
			if err == nil {
				t.Fatalf("%s: no error", tc.source)
			}
			msg := err.Error()
			if !strings.Contains(msg, `sslmode "bogus"`) || !strings.Contains(msg, "verify-full") || !strings.Contains(msg, tc.source) ||
				strings.Contains(msg, "time") || !errors.Is(err, config.ErrInvalid) {
				t.Errorf("%s: err = %q", tc.source, msg)
			}
		}
	})

	t.Run("require works without a root certificate", func(t *testing.T) {
		conninfo := dsn("127.0.0.1", "sslmode=require")
		r := connect(t, conninfo, none, emptyHome)
		if r.err != nil {
			t.Fatalf("connect: %v", r.err)
		}
		if !r.serverSSL || r.state.Verified != pgtls.VerifyNone || !strings.Contains(r.state.String(), "NOT verified") {
			t.Errorf("state %+v (%s)", r.state, r.state)
		}
		compare(t, conninfo, emptyHome, true)
	})

	t.Run("PGSSLMODE and PGSSLROOTCERT apply when the DSN does not set them", func(t *testing.T) {
		env := map[string]string{"PGSSLMODE": "verify-full", "PGSSLROOTCERT": caFile}
		r := connect(t, dsn("localhost", ""), env, emptyHome)
		if r.err != nil || r.state.Mode != "verify-full" || r.state.Verified != pgtls.VerifyFull {
			t.Fatalf("err %v state %+v", r.err, r.state)
		}
		// The DSN wins over the environment.
		r = connect(t, dsn("localhost", "sslmode=disable"), env, emptyHome)
		if r.err != nil || r.serverSSL || r.state.Enabled {
			t.Fatalf("sslmode=disable in the DSN: err %v state %+v", r.err, r.state)
		}
	})

	t.Run("multiple hosts: each gets its own host name check", func(t *testing.T) {
		// 127.0.0.1 fails verify-full (the certificate is for localhost); the next host passes.
		// libpq stops at the first host whose certificate fails; pgx goes on to the next host,
		// as it does after any failure but an authentication one. Each host is still checked
		// against its own name, which is what matters here (documented).
		conninfo := fmt.Sprintf("host=127.0.0.1,localhost port=%d,%d user=postgres dbname=postgres sslmode=verify-full sslrootcert=%s connect_timeout=5", srv.Port, srv.Port, caFile)
		r := connect(t, conninfo, none, emptyHome)
		if r.err != nil || r.state.Verified != pgtls.VerifyFull {
			t.Fatalf("err %v state %+v", r.err, r.state)
		}
		// One host only, each as its own: libpq agrees host by host.
		compare(t, dsn("127.0.0.1", "sslmode=verify-full sslrootcert="+caFile), emptyHome, false)
		compare(t, dsn("localhost", "sslmode=verify-full sslrootcert="+caFile), emptyHome, true)
	})

	t.Run("a Unix socket: TLS does not apply, even under verify-full", func(t *testing.T) {
		conninfo := fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=verify-full", srv.SocketDir(), srv.Port)
		compare(t, conninfo, emptyHome, true)
		r := connect(t, conninfo, none, emptyHome)
		if r.err != nil || r.serverSSL || !r.state.Socket || !strings.Contains(r.state.String(), "Unix-domain socket") {
			t.Fatalf("err %v state %+v", r.err, r.state)
		}
	})

	t.Run("prefer encrypts by default", func(t *testing.T) {
		r := connect(t, dsn("127.0.0.1", ""), none, emptyHome)
		if r.err != nil || !r.serverSSL || r.state.Mode != "prefer" {
			t.Fatalf("err %v state %+v ssl %v", r.err, r.state, r.serverSSL)
		}
	})

	t.Run("sslrootcert=system implies verify-full and refuses a weaker sslmode", func(t *testing.T) {
		_, err := pgtls.ParseConfig(dsn("localhost", "sslmode=require sslrootcert=system"), lookup(none), emptyHome)
		if err == nil || !strings.Contains(err.Error(), "sslrootcert=system") || !strings.Contains(err.Error(), `sslmode "require"`) {
			t.Errorf("err = %v", err)
		}
		// Our CA is not a system root: refused, naming the system roots.
		r := connect(t, dsn("localhost", "sslrootcert=system"), none, emptyHome)
		if r.err == nil {
			t.Fatal("a private CA passed as a system root")
		}
		if msg := connectError(r); !strings.Contains(msg, "sslrootcert=system") || !strings.Contains(msg, "verify-full") {
			t.Errorf("message %q", msg)
		}
	})

	// The server now has a certificate with Subject Alternative Names: the Common Name is not
	// consulted any more (as in libpq), the IP SAN is.
	srv.Configure(t, dbtest.TLSOptions{CertFile: sanCrt, KeyFile: sanKey})

	t.Run("SAN certificate: DNS and IP names match, the Common Name does not", func(t *testing.T) {
		for _, host := range []string{"localhost", "127.0.0.1"} {
			conninfo := dsn(host, "sslmode=verify-full sslrootcert="+caFile)
			r := connect(t, conninfo, none, emptyHome)
			if r.err != nil || r.state.Verified != pgtls.VerifyFull {
				t.Errorf("%s: err %v state %+v", host, r.err, r.state)
			}
			compare(t, conninfo, emptyHome, true)
		}
	})

	// A server certificate issued by an intermediate CA, the server sending the chain.
	inter := ca.intermediate(t, "dagctl test intermediate")
	leafCrt, leafKey := inter.issue(t, "server-leaf", "localhost", nil, nil, false)
	chain := inter.chainFile(t, "server-chain.crt", leafCrt, inter.path("ca.crt"))
	srv.Configure(t, dbtest.TLSOptions{CertFile: chain, KeyFile: leafKey})

	t.Run("intermediate CA: the root verifies, the intermediate alone does not (as OpenSSL)", func(t *testing.T) {
		good := dsn("localhost", "sslmode=verify-full sslrootcert="+caFile)
		if r := connect(t, good, none, emptyHome); r.err != nil {
			t.Errorf("root CA file: %v", r.err)
		}
		compare(t, good, emptyHome, true)
		interOnly := dsn("localhost", "sslmode=verify-full sslrootcert="+inter.path("ca.crt"))
		r := connect(t, interOnly, none, emptyHome)
		if r.err == nil {
			t.Error("an intermediate alone in sslrootcert was accepted as a trust anchor")
		} else if msg := connectError(r); !strings.Contains(msg, "intermediate") || strings.Contains(msg, "\n") {
			t.Errorf("message %q", msg)
		}
		compare(t, interOnly, emptyHome, false)
		both := dsn("localhost", "sslmode=verify-full sslrootcert="+inter.chainFile(t, "both.crt", inter.path("ca.crt"), caFile))
		if r := connect(t, both, none, emptyHome); r.err != nil {
			t.Errorf("root and intermediate: %v", r.err)
		}
		compare(t, both, emptyHome, true)
	})

	// TLS required by pg_hba.conf, and client certificates.
	clientCrt, clientKey := ca.issue(t, "client", "postgres", nil, nil, true)
	srv.Configure(t, dbtest.TLSOptions{CertFile: cnCrt, KeyFile: cnKey, CAFile: caFile,
		HBA: "local all all trust\nhostssl all postgres 127.0.0.1/32 cert\nhostssl all all 127.0.0.1/32 trust\n"})

	t.Run("disable against a server that requires TLS: a clear refusal", func(t *testing.T) {
		conninfo := dsn("127.0.0.1", "sslmode=disable")
		r := connect(t, conninfo, none, emptyHome)
		if r.err == nil {
			t.Fatal("connected without TLS to a hostssl-only server")
		}
		msg := connectError(r)
		if !strings.Contains(msg, "refuses connections without TLS") || !strings.Contains(msg, "sslmode=require") || strings.Contains(msg, "\n") {
			t.Errorf("message %q", msg)
		}
		compare(t, conninfo, emptyHome, false)
	})

	t.Run("the server requires a client certificate: none is refused", func(t *testing.T) {
		r := connect(t, dsn("localhost", "sslmode=verify-full sslrootcert="+caFile), none, emptyHome)
		if r.err == nil {
			t.Fatal("connected without the client certificate the server requires")
		}
		if msg := connectError(r); !strings.Contains(msg, "client certificate") || !strings.Contains(msg, "sslcert") || strings.Contains(msg, "\n") || strings.Contains(msg, "timed out") {
			t.Errorf("message %q", msg)
		}
	})

	t.Run("default ~/.postgresql/postgresql.crt and .key are sent", func(t *testing.T) {
		home := t.TempDir()
		copyTo(t, clientCrt, filepath.Join(home, ".postgresql", "postgresql.crt"), 0o644)
		copyTo(t, clientKey, filepath.Join(home, ".postgresql", "postgresql.key"), 0o600)
		copyTo(t, caFile, filepath.Join(home, ".postgresql", "root.crt"), 0o644)
		conninfo := dsn("localhost", "sslmode=verify-full")
		r := connect(t, conninfo, none, home)
		if r.err != nil {
			t.Fatalf("connect: %v", r.err)
		}
		if want := filepath.Join(home, ".postgresql", "postgresql.crt"); r.state.ClientCert != want {
			t.Errorf("client cert %q, want %q", r.state.ClientCert, want)
		}
		compare(t, conninfo, home, true)
	})

	t.Run("allow falls back to TLS when the server requires it", func(t *testing.T) {
		r := connect(t, dsn("127.0.0.1", fmt.Sprintf("sslmode=allow sslcert=%s sslkey=%s", clientCrt, clientKey)), none, emptyHome)
		if r.err != nil || !r.serverSSL || !r.state.Enabled {
			t.Fatalf("err %v state %+v", r.err, r.state)
		}
	})

	t.Run("encrypted key: sslpassword decrypts, a wrong one names sslpassword and the file", func(t *testing.T) {
		rsaCrt, _, rsaKey := ca.issueRSA(t, "client-rsa", "postgres")
		legacy := ca.path("client-legacy.key")
		//lint:ignore SA1019 libpq reads legacy encrypted PEM keys; the test writes one.
		block, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), []byte("s3cret"), x509.PEMCipherAES256) //nolint:staticcheck
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(legacy, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		keys := []string{legacy}
		if openssl, err := exec.LookPath("openssl"); err == nil {
			// PKCS#8 with PBES2, what "openssl pkey -aes256" writes (OpenSSL 3).
			p8 := ca.path("client-p8.key")
			plain := ca.path("client-rsa.key")
			out, err := exec.Command(openssl, "pkey", "-in", plain, "-aes256", "-passout", "pass:s3cret", "-out", p8).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl: %v %s", err, out)
			}
			os.Chmod(p8, 0o600)
			keys = append(keys, p8)
		}
		for _, key := range keys {
			conninfo := dsn("localhost", fmt.Sprintf("sslmode=verify-full sslrootcert=%s sslcert=%s sslkey=%s sslpassword=s3cret", caFile, rsaCrt, key))
			if r := connect(t, conninfo, none, emptyHome); r.err != nil {
				t.Errorf("%s: %v", filepath.Base(key), r.err)
			}
			compare(t, conninfo, emptyHome, true)
			_, err := pgtls.ParseConfig(strings.Replace(conninfo, "sslpassword=s3cret", "sslpassword=wrong", 1), lookup(none), emptyHome)
			if err == nil || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "sslpassword") || strings.Contains(err.Error(), "wrong\"") {
				t.Errorf("%s, wrong password: err = %v", filepath.Base(key), err)
			}
			var te *pgtls.Error
			if !errors.As(err, &te) || te.Setting != "sslpassword" || te.File != key {
				t.Errorf("%s: error %#v", filepath.Base(key), te)
			}
			_, err = pgtls.ParseConfig(strings.Replace(conninfo, "sslpassword=s3cret", "", 1), lookup(none), emptyHome)
			if err == nil || !strings.Contains(err.Error(), "sslpassword is not set") {
				t.Errorf("%s, no password: err = %v", filepath.Base(key), err)
			}
		}
	})
}
