package cmdutil

import (
	"bytes"
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
)

// WatchOptions are --watch and --interval.
type WatchOptions struct {
	Watch    bool
	Interval time.Duration
}

// AddWatchFlags adds --watch and --interval to cmd.
func AddWatchFlags(cmd *cobra.Command, w *WatchOptions) {
	cmd.Flags().BoolVar(&w.Watch, "watch", false, "redraw in place every --interval until Ctrl-C (terminal only)")
	cmd.Flags().DurationVar(&w.Interval, "interval", 5*time.Second, "with --watch: how often to redraw")
}

// CheckWatch validates --watch before any work: it needs a terminal to
// redraw in place (exit 2 in a pipe or a file).
func (f *Factory) CheckWatch(w WatchOptions) error {
	if !w.Watch {
		return nil
	}
	if !f.IO.IsStdoutTTY() {
		return apperr.Invalid("--watch: stdout is not a terminal; run without --watch in a pipe or a file")
	}
	if w.Interval < 100*time.Millisecond {
		return apperr.Invalid("--interval: must be at least 100ms")
	}
	return nil
}

// clearScreen moves the cursor home and clears the screen (ANSI).
const clearScreen = "\x1b[H\x1b[2J"

// Watch runs draw once, or with --watch redraws its output in place every
// interval until ctx ends (Ctrl-C), which is a normal exit. Each frame is
// drawn into a buffer first so that the screen never shows half a frame.
func (f *Factory) Watch(ctx context.Context, w WatchOptions, draw func(ctx context.Context) error) error {
	if !w.Watch {
		return draw(ctx)
	}
	out := f.IO.Out
	defer func() { f.IO.Out = out }()
	for {
		var buf bytes.Buffer
		f.IO.Out = &buf
		err := draw(ctx)
		f.IO.Out = out
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		stamp := "every " + w.Interval.String() + ", " + f.Now().Format("15:04:05") + " UTC; Ctrl-C to stop\n"
		if _, err := out.Write(append([]byte(clearScreen+stamp), buf.Bytes()...)); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(w.Interval):
		}
	}
}
