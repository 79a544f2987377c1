package config

import (
	"context"
	"path/filepath"
	"strings"
)

// optSQLAlchemyConnectArgs is Airflow's [database] sql_alchemy_connect_args
// ([core] before 2.3): an import path to a dict of extra arguments for the
// driver's connect(), where many installations keep their TLS settings
// (airflow/settings.py prepare_engine_args, conf.getimport).
var optSQLAlchemyConnectArgs = airflowOption{section: "database", key: "sql_alchemy_connect_args", legacySection: "core"}

// tlsKey is one libpq TLS keyword that dagctl's config file may set.
type tlsKey struct {
	key    string
	env    string // libpq's environment variable, "" if none
	get    func(*Context) string
	secret bool
	path   bool // a file name: "~/" is the home directory
}

var tlsKeys = []tlsKey{
	{key: "sslmode", env: "PGSSLMODE", get: func(c *Context) string { return c.SSLMode }},
	{key: "sslrootcert", env: "PGSSLROOTCERT", get: func(c *Context) string { return c.SSLRootCert }, path: true},
	{key: "sslcert", env: "PGSSLCERT", get: func(c *Context) string { return c.SSLCert }, path: true},
	{key: "sslkey", env: "PGSSLKEY", get: func(c *Context) string { return c.SSLKey }, path: true},
	{key: "sslpassword", get: func(c *Context) string { return c.SSLPassword }, secret: true},
}

// applyTLS gives the PostgreSQL URL the TLS keys of dagctl's config file
// that its query does not set (the URL's own query wins: a URL given with
// --db says exactly how to connect), and records where each effective TLS
// setting comes from for `config view`: the URL, the config file, libpq's
// PGSSL* variable (read by the driver), or libpq's default.
func (s *Settings) applyTLS(fst *fileState, u *DBURL, in Inputs) error {
	s.TLS = map[string]Value{}
	for _, k := range tlsKeys {
		fileVal, fileSet := fst.pick(k.get)
		if fileSet && k.path && strings.HasPrefix(fileVal.Value, "~/") && in.HomeDir != "" {
			fileVal.Value = filepath.Join(in.HomeDir, fileVal.Value[2:])
		}
		if fileSet && k.secret {
			u.secrets = append(u.secrets, fileVal.Value)
		}
		if u.Dialect != DialectPostgres {
			if fileSet {
				s.Notes = append(s.Notes, k.key+" from "+fileVal.Source+" applies to PostgreSQL only; ignored for "+u.Dialect)
			}
			continue
		}
		if k.key == "sslmode" {
			for _, v := range []Value{{Value: u.Query.Get(k.key), Source: "database URL " + u.Redacted() + " (" + s.DB.Source + ")"}, fileVal} {
				if v.Value != "" && !sslModes[v.Value] {
					return invalidf("sslmode %q from %s is not valid: use disable, allow, prefer, require, verify-ca or verify-full", v.Value, v.Source)
				}
			}
		}
		if urlVal := u.Query.Get(k.key); urlVal != "" {
			shown := urlVal
			if k.secret {
				shown = Mask
			}
			s.TLS[k.key] = Value{Value: shown, Source: "database URL (" + s.DB.Source + ")"}
			if fileSet && fileVal.Value != urlVal {
				s.Notes = append(s.Notes, k.key+" from "+fileVal.Source+" is not used: the database URL sets "+k.key+" itself, and the URL's query wins")
			}
			continue
		}
		if fileSet {
			u.Query.Set(k.key, fileVal.Value)
			if k.secret {
				fileVal.Value = Mask
			}
			s.TLS[k.key] = fileVal
			continue
		}
		if k.env != "" {
			if v, ok := in.Getenv(k.env); ok && v != "" {
				s.TLS[k.key] = Value{Value: v, Source: "env " + k.env}
				continue
			}
		}
		if k.key == "sslmode" {
			s.TLS[k.key] = Value{Value: "prefer", Source: "libpq default"}
		}
	}
	return nil
}

// sslModes are libpq's sslmode values.
var sslModes = map[string]bool{"disable": true, "allow": true, "prefer": true, "require": true, "verify-ca": true, "verify-full": true}

// unsupportedTLSKeys are libpq TLS keywords the driver cannot honour; they
// are left out of the DSN (see pgxIgnored), aloud.
var unsupportedTLSKeys = []struct{ key, effect string }{
	{"sslcrl", "revoked server certificates are not refused"},
	{"sslcrldir", "revoked server certificates are not refused"},
	{"sslcertmode", "a client certificate is sent whenever sslcert/sslkey (or ~/.postgresql/postgresql.crt) exist"},
}

func (s *Settings) noteUnsupportedTLS(u *DBURL) {
	if u.Dialect != DialectPostgres {
		return
	}
	for _, k := range unsupportedTLSKeys {
		if u.Query.Get(k.key) != "" {
			s.Notes = append(s.Notes, "the database URL sets "+k.key+", which dagctl's driver does not support; ignored: "+k.effect)
		}
	}
}

// noteConnectArgs warns that Airflow's sql_alchemy_connect_args, a Python
// import path, cannot be used by dagctl: Airflow may verify TLS with it
// where dagctl, silently ignoring it, would not.
func (s *Settings) noteConnectArgs(ctx context.Context, af *airflowSettings) {
	v, found, err := af.lookup(ctx, optSQLAlchemyConnectArgs)
	if err != nil || !found || strings.TrimSpace(v.Value) == "" {
		return
	}
	how := "in the database URL's query (?sslmode=verify-full&sslrootcert=/path/ca.pem) or as sslmode, sslrootcert, " +
		"sslcert, sslkey and sslpassword keys of its config file (see docs/production.md)"
	if s.URL != nil && s.URL.Dialect == DialectMySQL {
		how = "in the database URL's query (?ssl_mode=VERIFY_IDENTITY&ssl_ca=/path/ca.pem, ssl_cert, ssl_key; see docs/configuration.md)"
	}
	// A warning, not a note: -q does not hide it, since Airflow may verify
	// TLS with these arguments where dagctl would not.
	s.Warnings = append(s.Warnings, "sql_alchemy_connect_args from "+v.Source+" is set ("+quoteNote(v.Value)+
		"), but it is a Python import path dagctl cannot load, so it is ignored: give dagctl the same settings "+how)
}

func quoteNote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return `"` + s + `"`
}
