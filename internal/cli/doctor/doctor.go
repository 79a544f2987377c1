// Package doctor implements `dagctl doctor`: connect and say what was found.
package doctor

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/pgtls"
)

// Report is the JSON shape of `dagctl doctor -o json`.
type Report struct {
	URL             string  `json:"url"`
	URLSource       string  `json:"url_source"`
	Dialect         string  `json:"dialect"`
	ServerVersion   string  `json:"server_version"`
	AlembicRevision string  `json:"alembic_revision"`
	AirflowVersion  string  `json:"airflow_version"`
	AirflowMajor    int     `json:"airflow_major"`
	Writable        bool    `json:"writable"`
	WriteRefusal    string  `json:"write_refusal,omitempty"`
	DAGs            int64   `json:"dags"`
	Runs            int64   `json:"runs"`
	RoundTripMS     float64 `json:"round_trip_ms"`
	// TLS is the connection's security (PostgreSQL): on or off, and what of
	// the server certificate was verified.
	TLS          *pgtls.TLSState `json:"tls,omitempty"`
	User         string          `json:"user"`
	RBAC         string          `json:"rbac"`
	RBACEnforced bool            `json:"rbac_enforced"`
}

// NewCmdDoctor builds `dagctl doctor`.
func NewCmdDoctor(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Connect to the Airflow database and report what was found",
		Long: `Connect to the Airflow metadata database and report the URL (password masked)
and which configuration layer gave it, the dialect and server version, the
alembic revision and the Airflow release it stands for, whether dagctl may
write, how many DAGs and runs there are, and the round-trip time.`,
		Example: "  dagctl doctor\n  dagctl doctor --db postgresql://airflow@db/airflow -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := run(cmd.Context(), f)
			if err != nil {
				return err
			}
			return f.Print(output.Result{
				Data:  r,
				Table: func() output.Rows { return rows(r) },
				Names: func() []string { return []string{r.AirflowVersion} },
			})
		},
	}
}

func run(ctx context.Context, f *cmdutil.Factory) (*Report, error) {
	settings, err := f.Settings(ctx)
	if err != nil {
		return nil, err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return nil, err
	}
	info, err := st.ServerInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	sc := st.Schema()
	tls, err := st.TLS(ctx)
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	_, status, err := f.RBACStatus(ctx)
	if err != nil {
		return nil, err
	}
	return &Report{
		User:            settings.User.Value,
		RBAC:            status.Reason,
		RBACEnforced:    status.Enforced,
		URL:             settings.URL.Redacted(),
		URLSource:       settings.DB.Source,
		Dialect:         st.Dialect(),
		ServerVersion:   info.ServerVersion,
		AlembicRevision: sc.Revision,
		AirflowVersion:  sc.Release,
		AirflowMajor:    sc.Major,
		Writable:        sc.Writable() && info.ReadOnly == "",
		WriteRefusal:    firstNonEmpty(sc.WriteRefusal, info.ReadOnly),
		DAGs:            info.DAGs,
		Runs:            info.Runs,
		RoundTripMS:     float64(info.RoundTrip.Microseconds()) / 1000,
		TLS:             tls,
	}, nil
}

func rows(r *Report) output.Rows {
	kv := [][]string{
		{"url", r.URL},
		{"url_source", r.URLSource},
		{"dialect", r.Dialect},
		{"server_version", r.ServerVersion},
		{"alembic_revision", r.AlembicRevision},
		{"airflow_version", r.AirflowVersion},
		{"airflow_major", strconv.Itoa(r.AirflowMajor)},
		{"writable", strconv.FormatBool(r.Writable)},
	}
	if r.WriteRefusal != "" {
		kv = append(kv, []string{"write_refusal", r.WriteRefusal})
	}
	kv = append(kv,
		[]string{"dags", strconv.FormatInt(r.DAGs, 10)},
		[]string{"runs", strconv.FormatInt(r.Runs, 10)},
		[]string{"round_trip_ms", strconv.FormatFloat(r.RoundTripMS, 'f', 2, 64)},
	)
	if r.TLS != nil {
		kv = append(kv, []string{"tls", r.TLS.String()})
	}
	kv = append(kv,
		[]string{"user", r.User},
		[]string{"rbac", r.RBAC},
	)
	return output.Rows{Headers: []string{"check", "value"}, Rows: kv}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
