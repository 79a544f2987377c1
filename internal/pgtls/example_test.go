package pgtls_test

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/dagctl/dagctl/internal/pgtls"
)

// How store.Open builds its PostgreSQL connection: TLS as libpq, then the
// store's own settings, then database/sql and GORM. Errors from ParseConfig
// match config.ErrInvalid (exit 2); a connection error with a TLS cause has a
// one-line reason from Explain.
func ExampleParseConfig() {
	dsn := "host=db.internal port=5432 user=airflow dbname=airflow sslmode=verify-full" // config.DBURL.DSN()
	home, _ := os.UserHomeDir()
	cfg, err := pgtls.ParseConfig(dsn, os.LookupEnv, home)
	if err != nil {
		fmt.Println(err) // e.g. root certificate file "~/.postgresql/root.crt" ... does not exist
		return
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	sqlDB := stdlib.OpenDB(*cfg)
	db, _ := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{})
	_ = db
	if err := sqlDB.PingContext(context.Background()); err != nil {
		if why, ok := pgtls.Explain(err); ok {
			fmt.Println("connect to postgres at db.internal:5432:", why)
		}
		return
	}
	st, _ := pgtls.DescribeDB(context.Background(), sqlDB)
	fmt.Println("tls", st) // doctor: on (TLSv1.3, ...), server certificate verified: chain and host name (...)
}
