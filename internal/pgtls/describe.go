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
// (prefer: TLS then plain) over several lines; Explain returns one.
func Explain(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	var ve *VerifyError
	if errors.As(err, &ve) {
		return ve.Reason, true
	}
	var pe *pgconn.PgError
	// "no encryption" since PostgreSQL 14, "SSL off" before.
	if errors.As(err, &pe) && pe.Code == "28000" && (strings.Contains(pe.Message, "no encryption") || strings.Contains(pe.Message, "SSL off")) {
		return "the server refuses connections without TLS for this user and database (pg_hba.conf hostssl): " +
			"set sslmode=require, verify-ca or verify-full", true
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "server refused TLS connection"):
		return "the server does not accept TLS (is ssl = on in postgresql.conf?), and sslmode requires it: " +
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
