package pgtls

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// stateKey is where ParseConfig's AfterConnect leaves the TLSState in
// PgConn.CustomData.
const stateKey = "dagctl.pgtls.state"

// TLSState says how one connection is protected, for doctor.
type TLSState struct {
	Enabled bool   `json:"enabled"`           // the connection is encrypted
	Version string `json:"version,omitempty"` // "TLSv1.3"; "" when not encrypted
	Cipher  string `json:"cipher,omitempty"`
	Mode    string `json:"sslmode,omitempty"` // the sslmode in effect; "" when the connection was not set up by ParseConfig
	// Verified is what was checked of the server certificate: VerifyNone,
	// VerifyChain (a trusted root signed it) or VerifyFull (and the host
	// name matches). VerifyNone when not encrypted.
	Verified   Verification `json:"verified"`
	RootCert   string       `json:"root_cert,omitempty"`   // root certificate file or "system" used to verify; "" when none
	ServerCert string       `json:"server_cert,omitempty"` // the server certificate's names, e.g. `"db.internal" (Common Name)`
	ClientCert string       `json:"client_cert,omitempty"` // client certificate file sent, "" when none
	Socket     bool         `json:"socket,omitempty"`      // a Unix-domain socket: TLS does not apply
}

// String is one line for doctor, e.g. "on (TLSv1.3), server certificate
// verified: chain and host name (sslmode=verify-full, sslrootcert
// /home/a/.postgresql/root.crt)" or "off (sslmode=prefer; the server did not
// accept TLS)".
func (s TLSState) String() string {
	mode := ""
	if s.Mode != "" {
		mode = "sslmode=" + s.Mode
	}
	if s.Socket {
		return "off (Unix-domain socket; TLS does not apply)"
	}
	if !s.Enabled {
		why := ""
		switch s.Mode {
		case ModeAllow, ModePrefer:
			why = "; the connection was made without TLS"
		}
		if mode == "" {
			return "off"
		}
		return "off (" + mode + why + ")"
	}
	var check string
	switch s.Verified {
	case VerifyFull:
		check = "server certificate verified: chain and host name"
	case VerifyChain:
		check = "server certificate verified: chain only, not the host name"
	default:
		check = "server certificate NOT verified"
	}
	parts := []string{}
	if mode != "" {
		parts = append(parts, mode)
	}
	if s.RootCert != "" && s.Verified != VerifyNone {
		parts = append(parts, "sslrootcert "+s.RootCert)
	}
	if s.ClientCert != "" {
		parts = append(parts, "client certificate "+s.ClientCert)
	}
	out := fmt.Sprintf("on (%s, %s), %s", s.Version, s.Cipher, check)
	if len(parts) > 0 {
		out += " (" + strings.Join(parts, ", ") + ")"
	}
	return out
}

// Describe reports the TLS state of conn: whether it is encrypted and, for a
// connection made from a ParseConfig config, the sslmode and what was
// verified.
func Describe(conn *pgconn.PgConn) TLSState {
	if conn == nil {
		return TLSState{}
	}
	if s, ok := conn.CustomData()[stateKey].(TLSState); ok {
		return s
	}
	return stateOf(conn, Info{Verify: VerifyNone})
}

func stateOf(pc *pgconn.PgConn, in Info) TLSState {
	s := TLSState{Mode: in.Mode, Verified: VerifyNone}
	nc := pc.Conn()
	if nc != nil && nc.RemoteAddr() != nil && nc.RemoteAddr().Network() == "unix" {
		s.Socket = true
	}
	tc, ok := nc.(*tls.Conn)
	if !ok {
		return s
	}
	cs := tc.ConnectionState()
	s.Enabled = true
	s.Version = tls.VersionName(cs.Version)
	s.Version = strings.Replace(s.Version, "TLS 1.", "TLSv1.", 1)
	s.Cipher = tls.CipherSuiteName(cs.CipherSuite)
	s.Verified = in.Verify
	s.RootCert = in.RootCert
	s.ClientCert = in.ClientCert
	if len(cs.PeerCertificates) > 0 {
		s.ServerCert = certNames(cs.PeerCertificates[0])
	}
	return s
}

// Explain returns a one-line reason for a connection error caused by TLS,
// naming the setting to change, and true; or "", false when err has no TLS
// cause (the caller keeps its own message). It recognizes a server
// certificate that failed verification, a server that refuses TLS under
// sslmode=require or stronger, a server that refuses a connection without
// TLS (pg_hba.conf hostssl) under sslmode=disable or allow, and a refused
// client certificate. A connection error from pgx may join several attempts
// (prefer: TLS then plain) over several lines; Explain looks only at the one
// that decides (Decisive) and returns one line.
func Explain(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	err = Decisive(err)
	var ve *VerifyError
	if errors.As(err, &ve) {
		return ve.Reason, true
	}
	if wantsTLS(err) {
		return "the server refuses connections without TLS for this user and database (pg_hba.conf hostssl): " +
			"set sslmode=require, verify-ca or verify-full", true
	}
	msg := err.Error()
	switch {
	case isTLSRefusal(err):
		// libpq's words (fe-connect.c), then what to change.
		return "server does not support SSL, but SSL was required by sslmode: TLS is off at the server " +
			"(ssl = on in postgresql.conf, or client_tls_sslmode in pgbouncer.ini, turns it on); " +
			"set sslmode=prefer or allow to connect without TLS", true
	case strings.Contains(msg, "remote error: tls: certificate required"),
		strings.Contains(msg, "remote error: tls: unknown certificate authority"),
		strings.Contains(msg, "remote error: tls: bad certificate"):
		return "the server refused the client certificate (sslcert/sslkey): " + tlsCause(msg), true
	case strings.Contains(msg, "connection requires a valid client certificate"):
		return "the server requires a valid client certificate and did not accept one: check sslcert and sslkey " +
			"(default ~/.postgresql/postgresql.crt and .key) and that the server's ssl_ca_file trusts their issuer", true
	case strings.Contains(msg, "tls: "):
		return "TLS handshake failed: " + tlsCause(msg), true
	}
	return "", false
}

// tlsCause is the "tls: ..." part of a driver message, on one line.
func tlsCause(msg string) string {
	for _, line := range strings.Split(msg, "\n") {
		if i := strings.Index(line, "tls: "); i >= 0 {
			return oneLine(line[i:])
		}
	}
	return oneLine(msg)
}

// DescribeDB is Describe for one connection of a database/sql pool opened
// with pgx/v5/stdlib (stdlib.OpenDB of a ParseConfig config): doctor calls
// it with the store's *sql.DB.
func DescribeDB(ctx context.Context, db *sql.DB) (TLSState, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return TLSState{}, err
	}
	defer conn.Close()
	var st TLSState
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("not a pgx connection (%T)", dc)
		}
		st = Describe(c.Conn().PgConn())
		return nil
	})
	return st, err
}

// Decisive returns the error of the connection attempt whose answer decides
// a failed connection, as libpq reports it, from pgx's connect error that
// joins every attempt (each host, and for sslmode allow and prefer a plain
// and a TLS attempt per host); another error is returned as it is.
//
// libpq (src/interfaces/libpq/fe-connect.c, PQconnectPoll) makes its
// attempts on one connection where pgx makes two: under prefer, a server
// that answers the SSLRequest with 'N' gets the startup packet on the same
// connection, and its answer to that (a wrong password, an unknown
// database, a bad option) is the error; under allow, a plain attempt the
// server refused is retried with TLS and, when the server declines TLS,
// plain again, so the server's refusal stands. A TLS refusal is therefore
// never the cause when the server also answered a plain attempt: it is
// passed over. When a plain attempt after a failed TLS handshake is refused
// because the server wants TLS (pg_hba.conf hostssl), the handshake's
// failure is the cause. Otherwise the last attempt decides, as in libpq,
// whose last message is the last attempt's.
func Decisive(err error) error {
	attempts := connectAttempts(err)
	if len(attempts) == 0 {
		return err
	}
	answered := make([]error, 0, len(attempts))
	for _, a := range attempts {
		if !isTLSRefusal(a) {
			answered = append(answered, a)
		}
	}
	if len(answered) == 0 {
		return attempts[len(attempts)-1]
	}
	last := answered[len(answered)-1]
	if wantsTLS(last) {
		for i := len(answered) - 2; i >= 0; i-- {
			if isTLSFailure(answered[i]) {
				return answered[i]
			}
		}
	}
	return last
}

// connectAttempts are the errors of the attempts a pgx connect error joins,
// in the order they were made; nil when err joins none.
func connectAttempts(err error) []error {
	for err != nil {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			var out []error
			for _, e := range j.Unwrap() {
				if e != nil {
					out = append(out, e)
				}
			}
			return out
		}
		err = errors.Unwrap(err)
	}
	return nil
}

// isTLSRefusal: the server answered the SSLRequest with 'N' (pgx's words).
func isTLSRefusal(err error) bool {
	return strings.Contains(err.Error(), "server refused TLS connection")
}

// wantsTLS: the server refused a connection without TLS (pg_hba.conf
// hostssl): "no encryption" since PostgreSQL 14, "SSL off" before.
func wantsTLS(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "28000" && (strings.Contains(pe.Message, "no encryption") || strings.Contains(pe.Message, "SSL off"))
}

// isTLSFailure: a TLS handshake or certificate check failed.
func isTLSFailure(err error) bool {
	var ve *VerifyError
	return errors.As(err, &ve) || strings.Contains(err.Error(), "tls: ") || strings.Contains(err.Error(), "x509: ")
}
