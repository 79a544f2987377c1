package configcmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/clitest"
)

// Airflow's sql_alchemy_connect_args cannot be loaded: dagctl says so on stderr, naming the
// setting and its own way, and config view shows the TLS keys of its config file with
// sslpassword masked.
func TestConnectArgsWarningAndTLSKeys(t *testing.T) {
	r := clitest.New(t, nil)
	cfg := filepath.Join(r.Env["HOME"], "dagctl.yaml")
	if err := os.WriteFile(cfg, []byte("db: postgresql://airflow@db/airflow\nsslmode: verify-full\nsslrootcert: /etc/ca.pem\nsslpassword: Tls5ecret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.Env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS"] = "airflow_local_settings.CONNECT_ARGS"
	res := r.MustRun(t, 0, "--config", cfg, "config", "view", "-o", "json")
	if !strings.Contains(res.Stderr, "warning: sql_alchemy_connect_args from env AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS") ||
		!strings.Contains(res.Stderr, "sslrootcert") || strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
		t.Errorf("stderr %q: want one warning line naming the setting and dagctl's way", res.Stderr)
	}
	for _, want := range []string{`"key": "sslmode"`, `"value": "verify-full"`, `"key": "sslpassword"`, `"value": "xxxxx"`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("config view lacks %s:\n%s", want, res.Stdout)
		}
	}
	if strings.Contains(res.Stdout+res.Stderr, "Tls5ecret") {
		t.Error("sslpassword printed")
	}
	// -q does not silence this warning: Airflow may verify TLS with these arguments where dagctl would not.
	res = r.MustRun(t, 0, "-q", "--config", cfg, "config", "view", "-o", "name")
	if !strings.Contains(res.Stderr, "sql_alchemy_connect_args") || !strings.Contains(res.Stdout, "sslmode") {
		t.Errorf("-q: stderr %q stdout %q", res.Stderr, res.Stdout)
	}
}
