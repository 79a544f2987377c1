package store

import (
	"context"
	"crypto/x509"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/pgtls"
)

// PostgreSQL error codes dagctl tells apart (Appendix A of its manual).
const (
	pgUniqueViolation     = "23505"
	pgReadOnlyTransaction = "25006"
	pgInvalidPassword     = "28P01"
	pgInvalidAuth         = "28000"
	pgUnknownDatabase     = "3D000"
	pgLockNotAvailable    = "55P03"
	pgQueryCanceled       = "57014"
	pgProtocolViolation   = "08P01"
	pgTooManyConnections  = "53300"
	pgCannotConnectNow    = "57P03"
	pgAdminShutdown       = "57P01"
	pgInvalidParamValue   = "22023"
	pgUndefinedObject     = "42704"
	pgInsufficientPriv    = "42501"
)

// ErrNothingWritten ends every message about a write transaction that failed
// and was rolled back.
const nothingWritten = "nothing was written"

// configError reports a DSN the driver cannot use (a bad option value, an
// unreadable certificate file): bad input, exit 2, never a timeout.
func configError(opts OpenOptions, err error) error {
	msg := err.Error()
	var pce *pgconn.ParseConfigError
	if errors.As(err, &pce) {
		// "cannot parse `<dsn>`: <why>" — the DSN holds the password: keep only the reason.
		if u := pce.Unwrap(); u != nil {
			msg = u.Error()
		} else if _, after, ok := strings.Cut(msg, "`: "); ok {
			msg = after
		}
	}
	return apperr.Invalid("database URL %s: %s", opts.Redacted, msg)
}

// connectError names the real cause of a failed connection in one line: a
// timeout only when time really ran out, else what the server, the
// resolver, the socket or TLS said, in the words psql (libpq) and the mysql
// client use. Of pgx's several attempts (sslmode allow and prefer try with
// and without TLS) only the one that decides counts (pgtls.Decisive).
func connectError(opts OpenOptions, err error) error {
	where := fmt.Sprintf("connect to %s at %s", opts.Dialect, opts.HostPort)
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return configError(opts, err)
	}
	err = pgtls.Decisive(err)
	if reason, ok := pgtls.Explain(err); ok {
		return fmt.Errorf("%s: %s", where, reason)
	}
	if isTimeout(err) {
		src := opts.ConnectTimeoutSource
		if src == "" || src == "flag --connect-timeout" {
			return fmt.Errorf("%s: timed out after %s (--connect-timeout)", where, opts.ConnectTimeout)
		}
		return fmt.Errorf("%s: timed out after %s (connect timeout from %s; --connect-timeout sets another)", where, opts.ConnectTimeout, src)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case pgInvalidPassword, pgInvalidAuth:
			return fmt.Errorf("%s: authentication failed: %s", where, pgErr.Message)
		case pgUnknownDatabase:
			return fmt.Errorf("%s: %s", where, pgErr.Message)
		case pgProtocolViolation:
			if strings.Contains(pgErr.Message, "startup parameter") {
				hint := "a transaction pooler such as PgBouncer passes only a few startup parameters: remove it from the URL"
				if strings.Contains(pgErr.Message, "options") {
					hint = "a transaction pooler such as PgBouncer accepts no 'options' in the URL: set the schema with [database] sql_alchemy_schema or the context's schema key, and timeouts with --lock-timeout/--statement-timeout"
				} else if strings.Contains(pgErr.Message, "timeout") {
					hint = "a transaction pooler such as PgBouncer does not pass timeouts as startup parameters: use --lock-timeout/--statement-timeout (or their config keys) instead"
				}
				return fmt.Errorf("%s: the server or pooler refused a connection setting: %s (%s)", where, pgErr.Message, hint)
			}
		case pgTooManyConnections:
			return fmt.Errorf("%s: the server has no free connection slot: %s", where, pgErr.Message)
		case pgCannotConnectNow, pgAdminShutdown:
			return fmt.Errorf("%s: the server is starting up or shutting down: %s", where, pgErr.Message)
		}
		return fmt.Errorf("%s: %s (SQLSTATE %s)", where, pgErr.Message, pgErr.Code)
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return fmt.Errorf("%s: %s", where, me.Message)
	}
	if tls := tlsCause(err); tls != "" {
		return fmt.Errorf("%s: TLS: %s", where, tls)
	}
	if why := networkCause(opts.Dialect, err); why != "" {
		return fmt.Errorf("%s: %s", where, why)
	}
	return fmt.Errorf("%s: %s", where, oneLine(innermost(err)))
}

// networkCause names a failure of the resolver or the socket the way psql
// and the mysql client do (libpq's fe-connect.c: "could not translate host
// name ... to address", and for a refused connection its hint), or "".
// The resolver's own reason is Go's: dagctl does not use the C library.
func networkCause(dialect string, err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		why := dnsErr.Err
		if dnsErr.IsNotFound {
			why = "no such host"
		}
		if dialect == DialectMySQL {
			return fmt.Sprintf("unknown server host '%s' (%s)", dnsErr.Name, why)
		}
		return fmt.Sprintf("could not translate host name %q to address: %s", dnsErr.Name, why)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Err == nil {
		return ""
	}
	why := oneLine(innermost(opErr.Err))
	var errno syscall.Errno
	if errors.As(err, &errno) {
		why = errno.Error()
		if errno == syscall.ECONNREFUSED {
			why += " (is the server running on that host and accepting TCP/IP connections?)"
		}
	}
	if dialect == DialectMySQL && opErr.Op == "dial" && opErr.Addr != nil {
		// The mysql client's words (CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR).
		if opErr.Net == "unix" {
			return fmt.Sprintf("can't connect to local server through socket '%s': %s", opErr.Addr, why)
		}
		host, _, splitErr := net.SplitHostPort(opErr.Addr.String())
		if splitErr != nil {
			host = opErr.Addr.String()
		}
		return fmt.Sprintf("can't connect to server on '%s': %s", host, why)
	}
	return why
}

// oneLine joins the lines of a message.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// tlsCause describes a certificate problem, or "" when err is none.
func tlsCause(err error) string {
	var hostErr x509.HostnameError
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &hostErr):
		return "server certificate does not match the host name: " + hostErr.Error()
	case errors.As(err, &unknownCA):
		return "server certificate is not signed by a trusted root (sslrootcert): " + unknownCA.Error()
	case errors.As(err, &invalid):
		return "server certificate is not valid: " + invalid.Error()
	}
	msg := err.Error()
	if strings.Contains(msg, "tls:") || strings.Contains(msg, "x509:") {
		return innermost(err)
	}
	if strings.Contains(msg, "server refused TLS connection") {
		return "the server does not accept TLS (sslmode requires it)"
	}
	return ""
}

// innermost is the message of the deepest wrapped error, which for pgx's
// connect errors is the cause without the DSN summary around it.
func innermost(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// interrupted reports a statement stopped because ctx ended (Ctrl-C,
// SIGTERM): the cancel request already went to the server.
func interrupted(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out: %w", err)
	}
	return fmt.Errorf("interrupted; the statement was cancelled on the server: %w", context.Canceled)
}

// LockTimeoutError is a lock wait that ran out (exit 1).
type LockTimeoutError struct {
	Timeout string
	Err     error
}

func (e *LockTimeoutError) Error() string {
	msg := e.Err.Error()
	var pgErr *pgconn.PgError
	if errors.As(e.Err, &pgErr) {
		// The driver's "canceling statement due to lock timeout" says less than what follows.
		msg = strings.Replace(msg, pgErr.Error(), "lock not granted", 1)
	}
	var me *mysql.MySQLError
	if errors.As(e.Err, &me) {
		msg = strings.Replace(msg, me.Error(), "lock not granted", 1)
	}
	return fmt.Sprintf("%s: still locked after lock_timeout %s by another transaction (another dagctl, or Airflow's scheduler or webserver working on the same rows); %s; try again, or raise --lock-timeout", msg, e.Timeout, nothingWritten)
}
func (e *LockTimeoutError) Unwrap() error { return e.Err }

// ReadOnlyError is a write refused by a read-only server (exit 1).
type ReadOnlyError struct {
	HostPort, Reason string
}

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("the database server at %s is read-only (%s): writes need the primary; point dagctl at the primary's URL; %s", e.HostPort, e.Reason, nothingWritten)
}

// pgCode is the SQLSTATE of a PostgreSQL error in err's chain, or "".
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// isDeadlock reports whether err is a deadlock the server broke by
// aborting this transaction (PostgreSQL 40P01, MySQL 1213): running the
// transaction again is the remedy.
func isDeadlock(err error) bool {
	if err == nil {
		return false
	}
	if pgCode(err) == "40P01" {
		return true
	}
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1213
}

// isUniqueViolation reports whether err is a unique-key violation on any
// dialect: PostgreSQL 23505, SQLite's UNIQUE constraint, MySQL's 1062.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	if pgCode(err) == pgUniqueViolation {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "Error 1062")
}

// classify turns driver errors of a statement into dagctl's messages: a lock
// that was not granted in time, a read-only server, a statement timeout.
// Other errors are returned unchanged.
func (s *Store) classify(err error) error {
	if err == nil {
		return nil
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1205: // ER_LOCK_WAIT_TIMEOUT (innodb_lock_wait_timeout)
			return &LockTimeoutError{Timeout: s.opts.LockTimeout.String(), Err: err}
		case 1290, 1792: // read_only / super_read_only, read-only transaction
			return &ReadOnlyError{HostPort: s.opts.HostPort, Reason: "the server refused a write: read_only is on (a replica)"}
		case 1969, 3024: // MariaDB max_statement_time, MySQL max_execution_time
			return fmt.Errorf("%w: a statement ran longer than its time limit; %s", err, nothingWritten)
		}
	}
	switch pgCode(err) {
	case pgLockNotAvailable:
		return &LockTimeoutError{Timeout: s.opts.LockTimeout.String(), Err: err}
	case pgReadOnlyTransaction:
		return &ReadOnlyError{HostPort: s.opts.HostPort, Reason: "the server refused a write in a read-only transaction"}
	case pgQueryCanceled:
		if s.opts.WriteStatementTimeout > 0 && strings.Contains(err.Error(), "statement timeout") {
			return fmt.Errorf("%w: a statement ran longer than the statement timeout %s (--statement-timeout); %s", err, s.opts.WriteStatementTimeout, nothingWritten)
		}
	}
	return err
}

// IsConnectionError reports whether err means the database could not be
// reached or the connection broke (rather than one statement failing).
func IsConnectionError(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.Is(err, driver.ErrBadConn) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	return pgconn.SafeToRetry(err) && pgCode(err) == ""
}
