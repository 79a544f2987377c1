package pgtls_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/config"
	"github.com/dagctl/dagctl/internal/pgtls"
)

func TestMatchesHost(t *testing.T) {
	ip := func(s string) []net.IP { return []net.IP{net.ParseIP(s)} }
	for _, tc := range []struct {
		name string
		cert x509.Certificate
		host string
		want bool
	}{
		{"CN only", x509.Certificate{Subject: pkix.Name{CommonName: "db.example"}}, "db.example", true},
		{"CN only, any case", x509.Certificate{Subject: pkix.Name{CommonName: "DB.Example"}}, "db.example", true},
		{"CN only, other host", x509.Certificate{Subject: pkix.Name{CommonName: "db.example"}}, "db2.example", false},
		{"CN ignored when a DNS SAN exists", x509.Certificate{Subject: pkix.Name{CommonName: "db.example"}, DNSNames: []string{"other"}}, "db.example", false},
		{"DNS SAN", x509.Certificate{Subject: pkix.Name{CommonName: "x"}, DNSNames: []string{"a", "db.example"}}, "db.example", true},
		{"wildcard one label", x509.Certificate{DNSNames: []string{"*.example"}}, "db.example", true},
		{"wildcard not two labels", x509.Certificate{DNSNames: []string{"*.example"}}, "a.db.example", false},
		{"wildcard not the bare domain", x509.Certificate{DNSNames: []string{"*.example"}}, "example", false},
		{"wildcard CN", x509.Certificate{Subject: pkix.Name{CommonName: "*.example"}}, "db.example", true},
		{"IP SAN", x509.Certificate{IPAddresses: ip("10.0.0.1")}, "10.0.0.1", true},
		{"IP SAN other", x509.Certificate{IPAddresses: ip("10.0.0.1")}, "10.0.0.2", false},
		{"IP in CN when no IP SAN", x509.Certificate{Subject: pkix.Name{CommonName: "10.0.0.1"}}, "10.0.0.1", true},
		{"IP in CN ignored with an IP SAN", x509.Certificate{Subject: pkix.Name{CommonName: "10.0.0.1"}, IPAddresses: ip("10.0.0.9")}, "10.0.0.1", false},
		{"IP in CN with a DNS SAN only (libpq checks the CN)", x509.Certificate{Subject: pkix.Name{CommonName: "10.0.0.1"}, DNSNames: []string{"db"}}, "10.0.0.1", true},
		{"IPv6 SAN", x509.Certificate{IPAddresses: ip("::1")}, "::1", true},
	} {
		if got := pgtls.MatchesHost(&tc.cert, tc.host); got != tc.want {
			t.Errorf("%s: MatchesHost(%q) = %v, want %v", tc.name, tc.host, got, tc.want)
		}
	}
}

func TestParseConfigFileErrors(t *testing.T) {
	ca := newPKI(t, "ca")
	crt, key := ca.issue(t, "client", "postgres", nil, nil, true)
	crt2, _ := ca.issue(t, "client2", "postgres", nil, nil, true)
	const base = "host=db.example port=5432 user=u password=hunter2 dbname=d "
	none := lookup(nil)
	home := t.TempDir()
	dir := t.TempDir()
	openKey := filepath.Join(dir, "open.key")
	copyTo(t, key, openKey, 0o644)

	for _, tc := range []struct {
		name, dsn     string
		setting, file string
		want          string
		env           map[string]string
		home          string
		homeFiles     map[string]string
	}{
		{name: "sslrootcert missing, verify-ca", dsn: "sslmode=verify-ca sslrootcert=/nonexistent/ca.pem", setting: "sslrootcert", file: "/nonexistent/ca.pem", want: "does not exist"},
		{name: "sslrootcert not PEM", dsn: "sslmode=verify-full sslrootcert=" + key + "x", setting: "sslrootcert", want: "does not exist"},
		{name: "sslrootcert holds no certificate", dsn: "sslmode=verify-full sslrootcert=" + key, setting: "sslrootcert", file: key, want: "no PEM certificate"},
		{name: "sslrootcert a directory", dsn: "sslmode=require sslrootcert=" + dir, setting: "sslrootcert", file: dir, want: "could not read root certificate file"},
		{name: "sslcert missing", dsn: "sslcert=/nonexistent/c.crt sslkey=" + key, setting: "sslcert", file: "/nonexistent/c.crt", want: "does not exist"},
		{name: "sslkey missing", dsn: "sslcert=" + crt + " sslkey=/nonexistent/c.key", setting: "sslkey", file: "/nonexistent/c.key", want: "not private key file"},
		{name: "sslkey readable by others", dsn: "sslcert=" + crt + " sslkey=" + openKey, setting: "sslkey", file: openKey, want: "group or world access"},
		{name: "key does not match", dsn: "sslcert=" + crt2 + " sslkey=" + key, setting: "sslkey", file: key, want: "does not match"},
		{name: "from PGSSLCERT", env: map[string]string{"PGSSLCERT": "/nonexistent/env.crt"}, setting: "sslcert", file: "/nonexistent/env.crt", want: "env PGSSLCERT"},
		{name: "default cert without key", homeFiles: map[string]string{"postgresql.crt": crt}, setting: "sslkey", want: "postgresql.key"},
		{name: "bad sslnegotiation", dsn: "sslnegotiation=fast", setting: "sslnegotiation", want: "postgres or direct"},
		{name: "direct needs require", dsn: "sslnegotiation=direct sslmode=prefer", setting: "sslnegotiation", want: "sslmode require"},
		{name: "bad TLS version", dsn: "ssl_min_protocol_version=TLSv9", setting: "ssl_min_protocol_version", want: "TLSv1.3"},
		{name: "verify-full without a home", dsn: "sslmode=verify-full", home: "-", setting: "sslrootcert", want: "no home directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := home
			if tc.home == "-" {
				h = ""
			}
			if tc.homeFiles != nil {
				h = t.TempDir()
				for name, src := range tc.homeFiles {
					copyTo(t, src, filepath.Join(h, ".postgresql", name), 0o600)
				}
			}
			_, err := pgtls.ParseConfig(base+tc.dsn, lookup(tc.env), h)
			if err == nil {
				t.Fatal("no error")
			}
			if apperr.ExitCode(err) != apperr.ExitInvalid {
				t.Errorf("exit code %d, want %d", apperr.ExitCode(err), apperr.ExitInvalid)
			}
			var te *pgtls.Error
			if !errors.As(err, &te) || te.Setting != tc.setting || (tc.file != "" && te.File != tc.file) {
				t.Errorf("error %v: setting %q file %q, want %q %q", err, te.Setting, te.File, tc.setting, tc.file)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, tc.setting) || strings.Contains(msg, "\n") ||
				strings.Contains(msg, "hunter2") || strings.Contains(msg, "timed out") || !errors.Is(err, config.ErrInvalid) {
				t.Errorf("message %q: want %q, the setting, one line, no password", msg, tc.want)
			}
		})
	}
	_ = none

	t.Run("disable reads no file, as libpq", func(t *testing.T) {
		if _, err := pgtls.ParseConfig(base+"sslmode=disable sslrootcert=/nonexistent sslcert=/nonexistent", none, home); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("require with a missing explicit sslrootcert goes on unverified, as libpq", func(t *testing.T) {
		cfg, err := pgtls.ParseConfig(base+"sslmode=require sslrootcert=/nonexistent/ca.pem", none, home)
		if err != nil || cfg.TLSConfig == nil || cfg.TLSConfig.VerifyConnection != nil || len(cfg.Fallbacks) != 0 {
			t.Fatalf("err %v cfg %+v", err, cfg)
		}
	})
	t.Run("a Unix socket uses no TLS even with verify-full", func(t *testing.T) {
		cfg, err := pgtls.ParseConfig("host=/var/run/postgresql user=u sslmode=verify-full sslrootcert="+ca.path("ca.crt"), none, home)
		if err != nil || cfg.TLSConfig != nil || len(cfg.Fallbacks) != 0 {
			t.Fatalf("err %v TLS %v fallbacks %d", err, cfg.TLSConfig, len(cfg.Fallbacks))
		}
	})
	t.Run("attempts per host in libpq's order", func(t *testing.T) {
		for mode, want := range map[string][]bool{ // true = TLS
			"disable": {false, false}, "allow": {false, true, false, true}, "prefer": {true, false, true, false},
			"require": {true, true}, "verify-ca": {true, true}, "verify-full": {true, true},
		} {
			cfg, err := pgtls.ParseConfig("host=a,b port=1,2 user=u sslrootcert="+ca.path("ca.crt")+" sslmode="+mode, none, home)
			if err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			all := append([]*pgconn.FallbackConfig{{Host: cfg.Host, Port: cfg.Port, TLSConfig: cfg.TLSConfig}}, cfg.Fallbacks...)
			var got []bool
			for _, f := range all {
				got = append(got, f.TLSConfig != nil)
				if f.TLSConfig != nil && (f.TLSConfig.ServerName != f.Host || f.TLSConfig.VerifyConnection == nil || !f.TLSConfig.InsecureSkipVerify) {
					t.Errorf("%s: host %s: ServerName %q, verify set %v", mode, f.Host, f.TLSConfig.ServerName, f.TLSConfig.VerifyConnection != nil)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%s: attempts %v, want %v", mode, got, want)
				continue
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: attempts %v, want %v", mode, got, want)
					break
				}
			}
		}
	})
	t.Run("pgx's own PGSSLMODE reading is replaced by env", func(t *testing.T) {
		t.Setenv("PGSSLMODE", "verify-full") // the process environment: pgx would read it
		t.Setenv("PGSSLROOTCERT", "/nonexistent")
		cfg, err := pgtls.ParseConfig(base, lookup(map[string]string{}), home)
		if err != nil || cfg.TLSConfig == nil || cfg.TLSConfig.VerifyConnection != nil || len(cfg.Fallbacks) != 1 {
			t.Fatalf("the process's PGSSLMODE leaked past env: err %v", err)
		}
	})
}

func TestExplain(t *testing.T) {
	if _, ok := pgtls.Explain(errors.New("dial tcp: connection refused")); ok {
		t.Error("a plain network error was explained as TLS")
	}
	msg, ok := pgtls.Explain(errors.New("failed to connect to `user=u database=d`: 10.0.0.1:5432 (db): server refused TLS connection"))
	if !ok || !strings.Contains(msg, "ssl = on") || !strings.Contains(msg, "sslmode") {
		t.Errorf("refused TLS: %q %v", msg, ok)
	}
	pe := &pgconn.PgError{Code: "28000", Message: `no pg_hba.conf entry for host "10.0.0.1", user "u", database "d", no encryption`}
	if msg, ok := pgtls.Explain(pe); !ok || !strings.Contains(msg, "sslmode=require") {
		t.Errorf("hostssl: %q %v", msg, ok)
	}
}

// TestDecisive: of pgx's joined attempts, the one whose answer decides, as libpq reports it.
func TestDecisive(t *testing.T) {
	refusedTLS := errors.New("10.0.0.1:5432 (db): tls error: server refused TLS connection")
	password := fmt.Errorf("10.0.0.1:5432 (db): server error: %w", &pgconn.PgError{Code: "28P01", Message: `password authentication failed for user "u"`})
	handshake := errors.New("10.0.0.1:5432 (db): tls error: remote error: tls: handshake failure")
	hostssl := fmt.Errorf("10.0.0.1:5432 (db): server error: %w", &pgconn.PgError{Code: "28000", Message: `no pg_hba.conf entry for host "10.0.0.1", user "u", database "d", no encryption`})
	joined := func(errs ...error) error { return fmt.Errorf("failed to connect: %w", errors.Join(errs...)) }
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"prefer: TLS declined, then the plain attempt's answer", joined(refusedTLS, password), password},
		{"allow: the plain attempt's answer, then TLS declined", joined(password, refusedTLS), password},
		{"require: TLS declined is the cause", joined(refusedTLS), refusedTLS},
		{"prefer: a failed handshake, then hostssl refuses plain", joined(handshake, hostssl), handshake},
		{"otherwise the last attempt", joined(handshake, password), password},
		{"not a joined error", password, password},
	} {
		if got := pgtls.Decisive(c.err); got != c.want {
			t.Errorf("%s: Decisive = %v, want %v", c.name, got, c.want)
		}
	}
	if msg, ok := pgtls.Explain(joined(refusedTLS, password)); ok {
		t.Errorf("a password failure after a declined TLS attempt was explained as TLS: %q", msg)
	}
}
