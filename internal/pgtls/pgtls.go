// Package pgtls makes the PostgreSQL driver's TLS behave as libpq's does.
//
// Airflow reaches its metadata database through psycopg2, that is libpq, so
// dagctl must accept and refuse exactly the servers Airflow accepts and
// refuses on the same machine. pgx's own TLS set-up differs from libpq in
// ways that matter in production: it refuses a server certificate that names
// its host only in the Common Name ("x509: certificate relies on legacy
// Common Name field"), it does not look for ~/.postgresql/root.crt,
// postgresql.crt and postgresql.key, and it reports a missing file as an
// opaque parse error. ParseConfig reads the libpq TLS keywords itself
// (sslmode, sslrootcert, sslcert, sslkey, sslpassword, sslsni,
// sslnegotiation, ssl_min_protocol_version, ssl_max_protocol_version) and
// their PGSSL* environment variables, and builds the TLS attempts of every
// host the way libpq makes them (fe-connect.c, fe-secure-openssl.c).
package pgtls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/config"
)

// sslmode values, libpq's.
const (
	ModeDisable    = "disable"
	ModeAllow      = "allow"
	ModePrefer     = "prefer"
	ModeRequire    = "require"
	ModeVerifyCA   = "verify-ca"
	ModeVerifyFull = "verify-full"
)

// Verification is how much of the server certificate is checked.
type Verification string

const (
	// VerifyNone accepts any certificate: the connection is encrypted but
	// the server is not authenticated (allow, prefer, require without a root
	// certificate file).
	VerifyNone Verification = "none"
	// VerifyChain checks that a trusted root signed the certificate, not the
	// host name (verify-ca; also allow/prefer/require when a root
	// certificate file exists, as libpq does).
	VerifyChain Verification = "chain"
	// VerifyFull checks the chain and the host name (verify-full).
	VerifyFull Verification = "full"
)

// Error is a TLS setting dagctl cannot use: a bad sslmode, a missing or
// unreadable certificate or key file, a wrong sslpassword. Its message is one
// line naming the setting (and the file). It matches config.ErrInvalid with
// errors.Is, so it is a configuration mistake (exit 2).
type Error struct {
	Setting string // "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", ...
	File    string // the file at fault, if any
	msg     string
}

func (e *Error) Error() string { return e.msg }

// Is makes errors.Is(err, config.ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == config.ErrInvalid }

func settingErr(setting, file, format string, args ...any) *Error {
	return &Error{Setting: setting, File: file, msg: fmt.Sprintf(format, args...)}
}

// tlsKeys are the libpq keywords ParseConfig handles itself, with their
// environment variables (libpq's PQconninfoOptions).
var tlsKeys = []struct{ key, env string }{
	{"sslmode", "PGSSLMODE"},
	{"sslrootcert", "PGSSLROOTCERT"},
	{"sslcert", "PGSSLCERT"},
	{"sslkey", "PGSSLKEY"},
	{"sslpassword", ""}, // libpq has no environment variable for it
	{"sslsni", "PGSSLSNI"},
	{"sslnegotiation", "PGSSLNEGOTIATION"},
	{"ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION"},
	{"ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION"},
}

// setting is a resolved libpq keyword and where it came from.
type setting struct {
	value  string
	source string // "connection string", "env PGSSLMODE", "" (default)
	set    bool
}

func (s setting) from() string {
	if strings.HasPrefix(s.source, "env ") {
		return " (from " + s.source + ")"
	}
	return ""
}

// label names a file setting in messages: "sslcert", "sslcert from env
// PGSSLCERT", or "sslcert default" for libpq's ~/.postgresql file.
func label(key string, s setting) string {
	switch {
	case !s.set:
		return key + " default"
	case strings.HasPrefix(s.source, "env "):
		return key + " from " + s.source
	}
	return key
}

// Info is the TLS set-up ParseConfig chose; Describe reports it per
// connection.
type Info struct {
	Mode       string       // sslmode in effect
	Verify     Verification // what a TLS connection checks
	RootCert   string       // root certificate file, "system", or "" when none is used
	ClientCert string       // client certificate file sent, "" when none
}

// ParseConfig parses dsn, a libpq keyword/value connection string such as
// config.DBURL.DSN builds, with pgx.ParseConfig, and replaces pgx's TLS
// set-up by libpq's:
//
//   - sslmode disable, allow, prefer (the default), require, verify-ca,
//     verify-full, each with libpq's meaning: allow tries without TLS first,
//     prefer with TLS first, each falling back to the other; require,
//     verify-ca and verify-full never connect without TLS;
//   - sslrootcert, default ~/.postgresql/root.crt: a verify-* mode needs it
//     (an error names the file when it does not exist); in the other modes
//     the chain is verified when the file exists, as libpq does;
//     "system" uses the system's roots and implies verify-full;
//   - sslcert and sslkey, default ~/.postgresql/postgresql.crt and .key, sent
//     when the certificate file exists; sslpassword decrypts the key;
//   - verify-full checks the host name against the certificate's DNS and IP
//     Subject Alternative Names and, when it has no DNS name, its Common
//     Name, as libpq does (Go alone refuses Common-Name-only certificates);
//   - the PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY, PGSSLSNI,
//     PGSSLNEGOTIATION, PGSSLMINPROTOCOLVERSION and PGSSLMAXPROTOCOLVERSION
//     variables, read with env, apply when the DSN does not set the keyword.
//
// The other PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGPASSFILE,
// PGAPPNAME, PGCONNECT_TIMEOUT, PGOPTIONS, PGTZ, PGTARGETSESSIONATTRS,
// PGSERVICE, ...) are read by pgx itself from the process environment, as
// libpq reads them. home is the user's home directory for ~/.postgresql ("":
// no default files, as libpq without a home).
//
// Every host of a multi-host DSN gets its own TLS configurations with its
// own host name check. The returned config's AfterConnect records the TLS
// state for Describe: a caller that sets its own AfterConnect must call the
// previous one. Every error is an *Error naming the setting (wrapped as
// apperr.KindInvalid, exit 2), one line, without the password.
func ParseConfig(dsn string, env func(string) (string, bool), home string) (*pgx.ConnConfig, error) {
	cfg, err := parseConfig(dsn, env, home)
	if err != nil {
		// Already of the exit-2 kind, whoever maps it: apperr's table sees
		// KindInvalid; errors.Is(err, config.ErrInvalid) and errors.As(err,
		// **Error) hold too.
		return nil, apperr.Wrap(apperr.KindInvalid, err)
	}
	return cfg, nil
}

func parseConfig(dsn string, env func(string) (string, bool), home string) (*pgx.ConnConfig, error) {
	if env == nil {
		env = os.LookupEnv
	}
	pairs, err := parseDSN(dsn)
	if err != nil {
		return nil, settingErr("", "", "%v", err)
	}
	st := map[string]setting{}
	rest := make([]kv, 0, len(pairs)+len(tlsKeys))
	isTLS := map[string]bool{}
	for _, k := range tlsKeys {
		isTLS[k.key] = true
	}
	for _, p := range pairs {
		if isTLS[p.key] {
			st[p.key] = setting{value: p.value, source: "connection string", set: true}
			continue
		}
		rest = append(rest, p)
	}
	for _, k := range tlsKeys {
		if _, ok := st[k.key]; ok || k.env == "" {
			continue
		}
		if v, ok := env(k.env); ok && v != "" {
			st[k.key] = setting{value: v, source: "env " + k.env, set: true}
		}
	}
	// pgx must not set up TLS itself (nor read PGSSL* from the process
	// environment): the empty values override its environment too.
	// (pgx does not know ssl_min/max_protocol_version: it would send them
	// to the server as parameters, so they are only left out.)
	for _, k := range []string{"sslrootcert", "sslcert", "sslkey", "sslpassword", "sslsni", "sslnegotiation"} {
		rest = append(rest, kv{k, ""})
	}
	rest = append(rest, kv{"sslmode", ModeDisable})
	cfg, err := pgx.ParseConfig(formatDSN(rest))
	if err != nil {
		// pgx's message quotes the whole connection string (password
		// masked) with the keys added above; keep only the reason.
		msg := err.Error()
		if i := strings.Index(msg, "`: "); strings.HasPrefix(msg, "cannot parse `") && i > 0 {
			msg = msg[i+3:]
		}
		return nil, &Error{msg: "connection settings: " + oneLine(msg)}
	}

	hosts := append([]*pgconn.FallbackConfig{{Host: cfg.Host, Port: cfg.Port}}, cfg.Fallbacks...)
	// libpq reads the certificate files only when it tries TLS, which it
	// never does over a Unix socket: with sockets only, just the values
	// are checked.
	tcp := false
	for _, h := range hosts {
		if network, _ := pgconn.NetworkAddress(h.Host, h.Port); network != "unix" {
			tcp = true
		}
	}
	b, err := newBuilder(st, home, tcp)
	if err != nil {
		return nil, err
	}
	var attempts []*pgconn.FallbackConfig
	for _, h := range hosts {
		for _, tc := range b.attempts(h.Host, h.Port) {
			attempts = append(attempts, &pgconn.FallbackConfig{Host: h.Host, Port: h.Port, TLSConfig: tc})
		}
	}
	cfg.Host, cfg.Port, cfg.TLSConfig = attempts[0].Host, attempts[0].Port, attempts[0].TLSConfig
	cfg.Fallbacks = attempts[1:]
	cfg.SSLNegotiation = b.negotiation
	info := b.info()
	prev := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, pc *pgconn.PgConn) error {
		pc.CustomData()[stateKey] = stateOf(pc, info)
		if prev != nil {
			return prev(ctx, pc)
		}
		return nil
	}
	return cfg, nil
}

// builder holds the resolved TLS settings of one DSN.
type builder struct {
	mode        string
	verify      Verification
	roots       *x509.CertPool
	rootDesc    string // file or "system"
	certs       []tls.Certificate
	certFile    string
	sni         bool
	negotiation string
	minVersion  uint16
	maxVersion  uint16
}

var modes = map[string]bool{
	ModeDisable: true, ModeAllow: true, ModePrefer: true,
	ModeRequire: true, ModeVerifyCA: true, ModeVerifyFull: true,
}

func newBuilder(st map[string]setting, home string, loadFiles bool) (*builder, error) {
	b := &builder{mode: ModePrefer, verify: VerifyNone, sni: true, minVersion: tls.VersionTLS12}
	mode := st["sslmode"]
	if mode.set {
		if !modes[mode.value] {
			return nil, settingErr("sslmode", "", "sslmode %q%s is not valid: use disable, allow, prefer, require, verify-ca or verify-full", mode.value, mode.from())
		}
		b.mode = mode.value
	}
	root := st["sslrootcert"]
	if root.set && root.value == "system" {
		// libpq 16+: sslrootcert=system makes verify-full the default and
		// refuses a weaker sslmode set explicitly.
		if !mode.set {
			b.mode = ModeVerifyFull
		} else if b.mode != ModeVerifyFull {
			return nil, settingErr("sslmode", "", "sslmode %q%s may not be used with sslrootcert=system (use verify-full), as libpq refuses it", b.mode, mode.from())
		}
	}

	// sslnegotiation (libpq 17): postgres, or direct TLS without the
	// SSLRequest, which needs sslmode require or stronger.
	if n := st["sslnegotiation"]; n.set {
		switch n.value {
		case "postgres":
		case "direct":
			if b.mode == ModeDisable || b.mode == ModeAllow || b.mode == ModePrefer {
				return nil, settingErr("sslnegotiation", "", "sslnegotiation=direct%s needs sslmode require, verify-ca or verify-full (sslmode is %s), as libpq requires", n.from(), b.mode)
			}
			b.negotiation = "direct"
		default:
			return nil, settingErr("sslnegotiation", "", "sslnegotiation %q%s is not valid: use postgres or direct", n.value, n.from())
		}
	}
	if s := st["sslsni"]; s.set {
		b.sni = s.value != "0"
	}
	var err error
	if v := st["ssl_min_protocol_version"]; v.set {
		if b.minVersion, err = tlsVersion("ssl_min_protocol_version", v); err != nil {
			return nil, err
		}
	}
	if v := st["ssl_max_protocol_version"]; v.set {
		if b.maxVersion, err = tlsVersion("ssl_max_protocol_version", v); err != nil {
			return nil, err
		}
		if b.maxVersion < b.minVersion {
			return nil, settingErr("ssl_max_protocol_version", "", "ssl_max_protocol_version %q is lower than ssl_min_protocol_version", v.value)
		}
	}

	if b.mode == ModeDisable || !loadFiles {
		// libpq reads no certificate file when it will not use TLS.
		return b, nil
	}
	if err := b.loadRoots(root, home); err != nil {
		return nil, err
	}
	if err := b.loadClientCert(st["sslcert"], st["sslkey"], st["sslpassword"], home); err != nil {
		return nil, err
	}
	return b, nil
}

func tlsVersion(key string, v setting) (uint16, error) {
	switch strings.ToLower(v.value) {
	case "tlsv1":
		return tls.VersionTLS10, nil
	case "tlsv1.1":
		return tls.VersionTLS11, nil
	case "tlsv1.2":
		return tls.VersionTLS12, nil
	case "tlsv1.3":
		return tls.VersionTLS13, nil
	case "":
		return 0, nil
	}
	return 0, settingErr(key, "", "%s %q%s is not valid: use TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3", key, v.value, v.from())
}

// loadRoots is initialize_SSL's root certificate part (fe-secure-openssl.c):
// sslrootcert, else ~/.postgresql/root.crt; when the file exists the chain is
// verified in every mode; when it does not, verify-ca and verify-full fail.
func (b *builder) loadRoots(root setting, home string) error {
	verifying := b.mode == ModeVerifyCA || b.mode == ModeVerifyFull
	if root.set && root.value == "system" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			return settingErr("sslrootcert", "", "sslrootcert=system%s: cannot load the system's trusted roots: %v", root.from(), err)
		}
		b.roots, b.rootDesc = pool, "system"
		b.verify = VerifyFull
		return nil
	}
	path, what := root.value, label("sslrootcert", root)
	if !root.set {
		if home == "" {
			if verifying {
				return settingErr("sslrootcert", "", "sslmode=%s needs a root certificate: there is no home directory to find ~/.postgresql/root.crt in; set sslrootcert to the CA file, use sslrootcert=system for the system's trusted roots, or a weaker sslmode", b.mode)
			}
			return nil
		}
		path = filepath.Join(home, ".postgresql", "root.crt")
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) || isNotDir(err):
		if verifying {
			return settingErr("sslrootcert", path, "root certificate file %q (%s) does not exist; sslmode=%s needs it: provide the file, use sslrootcert=system for the system's trusted roots, or a weaker sslmode", path, what, b.mode)
		}
		// libpq goes on without verifying, even for a file named
		// explicitly.
		return nil
	case err != nil:
		return settingErr("sslrootcert", path, "could not read root certificate file %q (%s): %v", path, what, unwrapPathErr(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return settingErr("sslrootcert", path, "root certificate file %q (%s) holds no PEM certificate", path, what)
	}
	b.roots, b.rootDesc = pool, path
	if b.mode == ModeVerifyFull {
		b.verify = VerifyFull
	} else {
		b.verify = VerifyChain
	}
	return nil
}

// loadClientCert is initialize_SSL's client certificate part: sslcert,
// else ~/.postgresql/postgresql.crt, sent when the file exists; its key
// sslkey, else ~/.postgresql/postgresql.key, must then exist, be private
// (libpq refuses a key others can read) and match.
func (b *builder) loadClientCert(cert, key, password setting, home string) error {
	certPath, certWhat := cert.value, label("sslcert", cert)
	if !cert.set {
		if home == "" {
			return nil
		}
		certPath = filepath.Join(home, ".postgresql", "postgresql.crt")
	}
	certPEM, err := os.ReadFile(certPath)
	switch {
	case (errors.Is(err, fs.ErrNotExist) || isNotDir(err)) && !cert.set:
		return nil // no default certificate: connect without one, as libpq does
	case errors.Is(err, fs.ErrNotExist) || isNotDir(err):
		// libpq would silently send no certificate; a file named on purpose
		// that is not there is a mistake worth a clear line.
		return settingErr("sslcert", certPath, "certificate file %q (%s) does not exist", certPath, certWhat)
	case err != nil:
		return settingErr("sslcert", certPath, "could not open certificate file %q (%s): %v", certPath, certWhat, unwrapPathErr(err))
	}
	keyPath, keyWhat := key.value, label("sslkey", key)
	if !key.set {
		if home == "" {
			return settingErr("sslkey", "", "certificate file %q (%s) is present but sslkey is not set and there is no home directory for ~/.postgresql/postgresql.key", certPath, certWhat)
		}
		keyPath = filepath.Join(home, ".postgresql", "postgresql.key")
	}
	fi, err := os.Stat(keyPath)
	switch {
	case errors.Is(err, fs.ErrNotExist) || isNotDir(err):
		return settingErr("sslkey", keyPath, "certificate file %q (%s) is present, but not private key file %q (%s)", certPath, certWhat, keyPath, keyWhat)
	case err != nil:
		return settingErr("sslkey", keyPath, "could not stat private key file %q (%s): %v", keyPath, keyWhat, unwrapPathErr(err))
	case !fi.Mode().IsRegular():
		return settingErr("sslkey", keyPath, "private key file %q (%s) is not a regular file", keyPath, keyWhat)
	}
	if err := checkKeyMode(fi); err != nil {
		return settingErr("sslkey", keyPath, "private key file %q (%s) %v", keyPath, keyWhat, err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return settingErr("sslkey", keyPath, "could not read private key file %q (%s): %v", keyPath, keyWhat, unwrapPathErr(err))
	}
	keyDER, err := decodeKey(keyPEM, password)
	if err != nil {
		var ke *keyError
		if errors.As(err, &ke) && ke.password {
			return settingErr("sslpassword", keyPath, "could not load private key file %q (%s): %v", keyPath, keyWhat, err)
		}
		return settingErr("sslkey", keyPath, "could not load private key file %q (%s): %v", keyPath, keyWhat, err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyDER)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return settingErr("sslkey", keyPath, "certificate %q (%s) does not match private key file %q (%s)", certPath, certWhat, keyPath, keyWhat)
		}
		return settingErr("sslcert", certPath, "could not read certificate file %q (%s) with key %q: %v", certPath, certWhat, keyPath, err)
	}
	b.certs, b.certFile = []tls.Certificate{pair}, certPath
	return nil
}

func isNotDir(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Err != nil && strings.Contains(pe.Err.Error(), "not a directory")
}

// unwrapPathErr drops the path from an *fs.PathError: messages name the file
// once, themselves.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// attempts are the TLS configurations tried, in order, for one host: libpq's
// order for the sslmode (allow: plain then TLS; prefer: TLS then plain). A
// Unix socket never uses TLS, as in libpq.
func (b *builder) attempts(host string, port uint16) []*tls.Config {
	if network, _ := pgconn.NetworkAddress(host, port); network == "unix" || b.mode == ModeDisable {
		return []*tls.Config{nil}
	}
	tc := b.tlsConfig(host)
	switch b.mode {
	case ModeAllow:
		return []*tls.Config{nil, tc}
	case ModePrefer:
		return []*tls.Config{tc, nil}
	default:
		return []*tls.Config{tc}
	}
}

func (b *builder) tlsConfig(host string) *tls.Config {
	tc := &tls.Config{
		// Verification is done in VerifyConnection, the way libpq does it:
		// Go's own check refuses Common-Name-only certificates and cannot
		// check the chain without the host name.
		InsecureSkipVerify: true,
		Certificates:       b.certs,
		MinVersion:         b.minVersion,
		MaxVersion:         b.maxVersion,
	}
	if b.negotiation == "direct" {
		tc.NextProtos = []string{"postgresql"}
	}
	if b.sni && net.ParseIP(host) == nil {
		tc.ServerName = host
	}
	if b.verify != VerifyNone {
		v := &verifier{roots: b.roots, rootDesc: b.rootDesc, host: host, mode: b.mode, full: b.verify == VerifyFull}
		tc.VerifyConnection = v.verify
	}
	return tc
}

func (b *builder) info() Info {
	in := Info{Mode: b.mode, Verify: b.verify, RootCert: b.rootDesc, ClientCert: b.certFile}
	if b.mode == ModeDisable {
		in.Verify = VerifyNone
	}
	return in
}
