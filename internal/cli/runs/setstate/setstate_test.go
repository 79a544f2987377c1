package setstate

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/iostreams"
)

func TestNewCmdSetState(t *testing.T) {
	cases := []struct {
		args    []string
		want    Options
		wantErr string
	}{
		{[]string{"r1", "--dag-id", "etl", "--state", "failed"}, Options{RunID: "r1", DagID: "etl", State: "failed"}, ""},
		{[]string{"r1", "--dag-id", "etl", "--state", "queued", "--dry-run"}, Options{RunID: "r1", DagID: "etl", State: "queued", DryRun: true}, ""},
		{[]string{"r1", "--state", "failed"}, Options{}, "--dag-id"},
		{[]string{"r1", "--dag-id", "etl"}, Options{}, "--state"},
		{[]string{"r1", "--dag-id", "etl", "--state", "running"}, Options{}, "--state"},
		{[]string{"r1", "r2", "--dag-id", "etl", "--state", "failed"}, Options{}, "arg"},
	}
	for _, c := range cases {
		ios, _, _, _ := iostreams.Test()
		var got *Options
		cmd := NewCmdSetState(cmdutil.New(ios), func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(c.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%v: err %v, want one naming %q", c.args, err, c.wantErr)
			} else if c.wantErr != "arg" && !apperr.Is(err, apperr.KindInvalid) {
				t.Errorf("%v: %v is not invalid input", c.args, err)
			}
			continue
		}
		if err != nil || *got != c.want {
			t.Errorf("%v: %v, options %+v, want %+v", c.args, err, got, c.want)
		}
	}
}
