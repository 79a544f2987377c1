package logs

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/iostreams"
)

func TestNewCmdLogs(t *testing.T) {
	cases := []struct {
		args    string
		want    Options
		mapIdx  int // -2: not given
		wantErr string
	}{
		{args: "r t", want: Options{RunID: "r", TaskID: "t", Interval: time.Second}, mapIdx: -2},
		{args: "r t --dag-id d --map-index 2 --try 1 --raw -f --interval 200ms", want: Options{RunID: "r", TaskID: "t", DagID: "d", Try: 1, Raw: true, Follow: true, Interval: 200 * time.Millisecond}, mapIdx: 2},
		{args: "r t --map-index -1", want: Options{RunID: "r", TaskID: "t", Interval: time.Second}, mapIdx: -1},
		{args: "r t --try 0", wantErr: "--try: must be 1 or more"},
		{args: "r t --map-index -2", wantErr: "--map-index"},
		{args: "r t --interval 1ms", wantErr: "--interval"},
		{args: "r", wantErr: "accepts 2 arg(s)"},
	}
	for _, c := range cases {
		ios, _, _, _ := iostreams.Test()
		f := cmdutil.New(ios)
		var got *Options
		cmd := NewCmdLogs(f, func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(strings.Fields(c.args))
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: error %v, want %q", c.args, err, c.wantErr)
			}
			if err != nil && strings.HasPrefix(c.wantErr, "--") && apperr.ExitCode(err) != apperr.ExitInvalid {
				t.Errorf("%q: exit %d, want 2", c.args, apperr.ExitCode(err))
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		mi := -2
		if got.MapIndex != nil {
			mi = *got.MapIndex
		}
		g := *got
		g.MapIndex = nil
		if g != c.want || mi != c.mapIdx {
			t.Errorf("%q: got %+v map index %d, want %+v map index %d", c.args, g, mi, c.want, c.mapIdx)
		}
	}
}

// printer: a partial last line waits for its newline unless final; --raw
// keeps the bytes.
func TestPrinter(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/a.log"
	write := func(s string, appendTo bool) {
		t.Helper()
		if err := writeFile(path, s, appendTo); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	p := &printer{out: bufio.NewWriter(&out)}
	write(`{"event":"e","level":"info"}`+"\nhalf", false)
	n, err := p.copyFrom(path, 0, false)
	if err != nil || out.String() != "INFO - e\n" {
		t.Fatalf("first read: %d %v %q", n, err, out.String())
	}
	write(" line\r\nno newline", true)
	m, err := p.copyFrom(path, n, true)
	if err != nil || out.String() != "INFO - e\nhalf line\nno newline\n" {
		t.Fatalf("second read: %d %v %q", m, err, out.String())
	}
	out.Reset()
	raw := &printer{out: bufio.NewWriter(&out), raw: true}
	if _, err := raw.copyFrom(path, 0, true); err != nil || out.String() != `{"event":"e","level":"info"}`+"\nhalf line\r\nno newline" {
		t.Errorf("raw: %v %q", err, out.String())
	}
}

func writeFile(path, s string, appendTo bool) error {
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	fh, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return err
	}
	if _, err := fh.WriteString(s); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
