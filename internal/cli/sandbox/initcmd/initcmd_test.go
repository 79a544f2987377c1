package initcmd

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/iostreams"
)

func TestNewCmdInitParsing(t *testing.T) {
	cases := []struct {
		args    []string
		want    Options
		wantErr bool
	}{
		{args: []string{"a.db"}, want: Options{Path: "a.db", Release: "3.0.3"}},
		{args: []string{"a.db", "--release", "2.10.5", "--force"}, want: Options{Path: "a.db", Release: "2.10.5", Force: true}},
		{args: []string{}, wantErr: true},
		{args: []string{"a.db", "b.db"}, wantErr: true},
	}
	for _, c := range cases {
		ios, _, _, _ := iostreams.Test()
		var got *Options
		cmd := NewCmdInit(cmdutil.New(ios), func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(c.args)
		cmd.SetOut(ios.Out)
		cmd.SetErr(ios.ErrOut)
		err := cmd.Execute()
		if c.wantErr {
			if err == nil {
				t.Errorf("%v: no error", c.args)
			}
			continue
		}
		if err != nil || got == nil || *got != c.want {
			t.Errorf("%v: got %+v, %v; want %+v", c.args, got, err, c.want)
		}
	}
}

func run(t *testing.T, format string, args ...string) (string, string, error) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.New(ios)
	f.Global.Output = format
	cmd := NewCmdInit(f, nil)
	cmd.SetArgs(args)
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestInitPrintsURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "airflow.db")
	stdout, stderr, err := run(t, "name", path)
	if err != nil {
		t.Fatal(err)
	}
	if stdout != "sqlite:///"+path+"\n" {
		t.Errorf("-o name printed %q", stdout)
	}
	if !strings.Contains(stderr, "dagctl --db sqlite:///"+path+" dags list") {
		t.Errorf("no hint on stderr: %q", stderr)
	}

	stdout, _, err = run(t, "json", path)
	if !apperr.Is(err, apperr.KindConflict) || stdout != "" {
		t.Fatalf("second init: err %v, stdout %q; want a conflict and no output", err, stdout)
	}
	stdout, _, err = run(t, "json", path, "--force", "--release", "2.10.5")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Path, URL, Release string
		Revision           string `json:"alembic_revision"`
		DAGs               int    `json:"dags"`
	}
	if err := json.Unmarshal([]byte(stdout), &info); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	if info.Path != path || info.URL != "sqlite:///"+path || info.Release != "2.10.5" || info.Revision != "5f2621c13b39" || info.DAGs == 0 {
		t.Errorf("json: %+v", info)
	}
}
