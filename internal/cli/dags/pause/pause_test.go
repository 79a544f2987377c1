package pause

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/iostreams"
)

func TestNewCmdPause(t *testing.T) {
	cases := []struct {
		paused  bool
		args    []string
		want    Options
		wantErr string
	}{
		{true, []string{"a", "b"}, Options{DagIDs: []string{"a", "b"}, Paused: true}, ""},
		{false, []string{"--pattern", "etl_.*", "--dry-run"}, Options{DagIDs: []string{}, Pattern: "etl_.*", DryRun: true}, ""},
		{true, []string{}, Options{}, "DAG_ID"},
		{true, []string{"a", "--pattern", "x"}, Options{}, "--pattern"},
		{false, []string{"--pattern", "etl_[0-9"}, Options{}, "--pattern"},
	}
	for _, c := range cases {
		ios, _, _, _ := iostreams.Test()
		var got *Options
		cmd := NewCmdPause(cmdutil.New(ios), c.paused, func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(c.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if c.wantErr != "" {
			if err == nil || !apperr.Is(err, apperr.KindInvalid) || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%v: err %v, want an invalid-input error naming %q", c.args, err, c.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%v: %v, options %+v, want %+v", c.args, err, got, c.want)
		}
	}
}
