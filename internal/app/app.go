// Package app builds dagctl's root command, runs it, and turns the returned
// error into an exit code in one place.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/config"
	"github.com/dagctl/dagctl/internal/iostreams"
)

// Main runs dagctl with the process's arguments and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, iostreams.System(), os.Args[1:])
}

// Run runs dagctl with args on the given streams and returns the exit code.
// Tests pass options to set the environment and the clock.
func Run(ctx context.Context, io *iostreams.IOStreams, args []string, options ...func(*cmdutil.Factory)) int {
	f := cmdutil.New(io)
	for _, o := range options {
		o(f)
	}
	defer f.Close()
	root := NewRootCmd(f)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return apperr.ExitOK
	}
	return reportError(f, err)
}

// reportError prints err as one line on stderr, with every known secret
// masked, and returns its exit code.
func reportError(f *cmdutil.Factory, err error) int {
	code := apperr.ExitCode(err)
	var flagErr *flagError
	if errors.As(err, &flagErr) || strings.HasPrefix(err.Error(), "unknown command") {
		code = apperr.ExitInvalid
	}
	if apperr.KindOf(err) == apperr.KindFailedResult && code == apperr.ExitFailure {
		// The follower already said how it ended.
		msg := strings.TrimSpace(err.Error())
		if msg != "" {
			fmt.Fprintln(f.IO.ErrOut, "dagctl: "+oneLine(config.Redact(msg, f.Secrets()...)))
		}
		return code
	}
	msg := config.Redact(err.Error(), f.Secrets()...)
	fmt.Fprintln(f.IO.ErrOut, "dagctl: "+oneLine(msg))
	return code
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// flagError marks cobra's own usage errors (unknown flag, bad value) as exit 2.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func flagErrorFunc(cmd *cobra.Command, err error) error {
	return &flagError{err: fmt.Errorf("%w (see '%s --help')", err, cmd.CommandPath())}
}
