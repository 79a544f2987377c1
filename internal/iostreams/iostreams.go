// Package iostreams carries the process's streams and knows whether output
// goes to a person (a terminal) or to a program (a pipe or file).
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the three standard streams plus what dagctl needs to know of them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	outTTY  bool
	errTTY  bool
	noColor bool
	// Quiet silences informational lines on ErrOut (-q).
	Quiet bool
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		outTTY: isTerminal(os.Stdout),
		errTTY: isTerminal(os.Stderr),
		// https://no-color.org: present and not empty.
		noColor: os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb",
	}
}

// Test returns in-memory streams for tests.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.outTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.errTTY }

// SetStdoutTTY overrides terminal detection (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.outTTY = v }

// SetStderrTTY overrides terminal detection of stderr (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.errTTY = v }

// ColorEnabled reports whether stdout may carry colour: a terminal, and
// neither NO_COLOR, TERM=dumb nor --no-color.
func (s *IOStreams) ColorEnabled() bool { return s.outTTY && !s.noColor }

// DisableColor turns colour off (--no-color, NO_COLOR).
func (s *IOStreams) DisableColor() { s.noColor = true }

// Warnf prints a warning line on stderr, even with -q.
func (s *IOStreams) Warnf(format string, args ...any) {
	_, _ = io.WriteString(s.ErrOut, sprintf(format, args...))
}

// Infof prints an informational line on stderr unless -q was given.
func (s *IOStreams) Infof(format string, args ...any) {
	if s.Quiet {
		return
	}
	_, _ = io.WriteString(s.ErrOut, sprintf(format, args...))
}

// isTerminal asks the terminal driver (isatty: TCGETS on Unix,
// GetConsoleMode on Windows), as Go CLIs do. A character device is not
// enough: /dev/null is one, and cron jobs send their output there.
func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}
