package clear

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

func TestNewCmdClear(t *testing.T) {
	cases := []struct {
		args    []string
		want    Options
		wantErr string // substring; "" = parses
	}{
		{args: []string{"r1", "r2", "--dag-id", "etl"}, want: Options{RunIDs: []string{"r1", "r2"}, DagID: "etl"}},
		{args: []string{"--dag-id", "etl", "--start-date", "2024-01-01", "--end-date", "2024-01-31", "--state", "failed,success", "-t", "^load$", "-d", "-u", "--only-failed", "--dry-run"},
			want: Options{RunIDs: []string{}, DagID: "etl", StartDate: "2024-01-01", EndDate: "2024-01-31", States: []string{"failed", "success"},
				TaskRegex: "^load$", Downstream: true, Upstream: true, OnlyFailed: true, DryRun: true}},
		{args: []string{"--dag-id", "etl", "--end-date", "2024-01-31"}, want: Options{RunIDs: []string{}, DagID: "etl", EndDate: "2024-01-31"}},
		{args: []string{"r1"}, wantErr: "--dag-id"},
		{args: []string{"--dag-id", "etl"}, wantErr: "RUN_ID"},
		{args: []string{"--dag-id", "etl", "--state", "failed"}, wantErr: "RUN_ID"},
		{args: []string{"r1", "--dag-id", "etl", "--end-date", "2024-01-01"}, wantErr: "--start-date/--end-date"},
		{args: []string{"r1", "--dag-id", "etl", "--state", "failed"}, wantErr: "--state"},
		{args: []string{"--dag-id", "etl", "--start-date", "2024-01-01", "--state", "done"}, wantErr: "--state"},
		{args: []string{"--dag-id", "etl", "--start-date", "2024-01-01", "-t", "("}, wantErr: "--task-regex"},
		{args: []string{"--dag-id", "etl", "--start-date", "2024-01-01", "--upstream"}, wantErr: "--task-regex"},
	}
	for _, c := range cases {
		ios, _, _, _ := iostreams.Test()
		f := cmdutil.New(ios)
		var got *Options
		cmd := NewCmdClear(f, func(_ context.Context, o *Options) error { got = o; return nil })
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
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		if !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%v: options %+v, want %+v", c.args, *got, c.want)
		}
	}
}
