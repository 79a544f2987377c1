package store

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/dagctl/dagctl/internal/apperr"
)

// cancelDeadlineDelay is how long an interrupted statement waits for the
// server to confirm the cancel request before its connection is dropped.
const cancelDeadlineDelay = 2 * time.Second

// openPostgres builds the connection pool for a PostgreSQL URL so that it
// works through a transaction pooler (PgBouncer in pool_mode=transaction, as
// Airflow's Helm chart deploys it) with the URL Airflow uses:
//   - no named prepared statements: pgx's default statement cache names them
//     per connection, and a pooler hands the next transaction to another
//     server connection ("prepared statement ... already exists/does not
//     exist"). The exec mode sends each statement unnamed; a URL's own
//     default_query_exec_mode still wins.
//   - nothing session-level: sql_alchemy_schema is applied per transaction
//     (Store.read, InTx), never as a startup "options" parameter, which
//     PgBouncer refuses; locks are transaction-scoped.
//   - an interrupted statement (Ctrl-C, SIGTERM, a deadline) is cancelled on
//     the server with a cancel request, so no backend keeps waiting for a
//     lock, or holding one, after dagctl has gone.
func openPostgres(opts OpenOptions) (*sql.DB, gorm.Dialector, error) {
	var cfg *pgx.ConnConfig
	var err error
	if opts.PgConfig != nil {
		cfg, err = opts.PgConfig(opts.DSN)
	} else {
		cfg, err = pgx.ParseConfig(opts.DSN)
	}
	if err != nil {
		if apperr.KindOf(err) == apperr.KindInvalid {
			return nil, nil, err // pgtls names the setting and the file
		}
		return nil, nil, configError(opts, err)
	}
	if !opts.QueryExecModeSet {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &cancelWatcher{conn: c, delay: cancelDeadlineDelay}
	}
	fresh := &freshConns{}
	db := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(fresh.connected), stdlib.OptionShouldPing(fresh.shouldPing))
	return db, postgres.New(postgres.Config{Conn: db}), nil
}

// freshConns keeps pgx's rule for reusing a pooled connection (a liveness
// ping first when it has been idle for over a second) but measures a new
// connection's idle time from when it was made. The driver counts a new
// connection as idle since ever, so the first statement after Open's
// connection check paid a second ping round trip on every command.
type freshConns struct{ made sync.Map } // *pgx.Conn → time.Time, until its first reuse

func (f *freshConns) connected(_ context.Context, c *pgx.Conn) error {
	f.made.Store(c, time.Now())
	return nil
}

func (f *freshConns) shouldPing(_ context.Context, p stdlib.ShouldPingParams) bool {
	if made, ok := f.made.LoadAndDelete(p.Conn); ok {
		return time.Since(made.(time.Time)) > time.Second
	}
	return p.IdleDuration > time.Second
}

// cancelWatcher is what the driver does when a statement's context ends: it
// sends the server a cancel request, and drops the connection only if the
// server has not answered within delay.
//
// pgx's own CancelRequestContextWatcherHandler closes the cancel connection
// as soon as the cancelled statement returns, which can be before PgBouncer
// has finished forwarding the request; PgBouncer 1.18 (Debian 12's) then
// dies ("bad client state" in disconnect_client), taking every client with
// it. This one waits for the cancel connection to be closed by the other
// side, as libpq does (fe-connect.c, internal_cancel), before the statement
// returns.
type cancelWatcher struct {
	conn  *pgconn.PgConn
	delay time.Duration
	done  chan struct{}
}

func (h *cancelWatcher) HandleCancel(context.Context) {
	h.done = make(chan struct{})
	_ = h.conn.Conn().SetDeadline(time.Now().Add(h.delay))
	go func() {
		defer close(h.done)
		ctx, cancel := context.WithTimeout(context.Background(), h.delay)
		defer cancel()
		_ = h.conn.CancelRequest(ctx)
	}()
}

func (h *cancelWatcher) HandleUnwatchAfterCancel() {
	<-h.done
	_ = h.conn.Conn().SetDeadline(time.Time{})
}
