// Package apperr holds dagctl's error kinds and the one table that maps them
// to the documented exit codes.
package apperr

import (
	"context"
	"errors"
	"fmt"
)

// Kind classifies an error for the exit code.
type Kind int

const (
	// KindFailure is a database or unexpected failure (exit 1).
	KindFailure Kind = iota
	// KindInvalid is bad usage or input; nothing was written (exit 2).
	KindInvalid
	// KindNotFound is a missing DAG, run or backfill (exit 3).
	KindNotFound
	// KindDenied is a permission refusal (exit 4).
	KindDenied
	// KindConflict is a duplicate, an overlap or a state that forbids the action (exit 5).
	KindConflict
	// KindTimeout is a wait that ran out of time (exit 124, like timeout(1)).
	KindTimeout
	// KindFailedResult is a followed object that ended failed (exit 1, no error line needed).
	KindFailedResult
)

// Exit codes, documented in the README and in `dagctl --help`.
const (
	ExitOK       = 0
	ExitFailure  = 1
	ExitInvalid  = 2
	ExitNotFound = 3
	ExitDenied   = 4
	ExitConflict = 5
	ExitTimeout  = 124
)

// Error is an error with a kind. Its message is the full one-line message.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Msg == "" && e.Err != nil {
		return e.Err.Error()
	}
	if e.Err != nil && e.Msg != "" {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

func newf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Invalid reports bad input (exit 2).
func Invalid(format string, args ...any) error { return newf(KindInvalid, format, args...) }

// NotFound reports a missing object (exit 3).
func NotFound(format string, args ...any) error { return newf(KindNotFound, format, args...) }

// Denied reports a permission refusal (exit 4).
func Denied(format string, args ...any) error { return newf(KindDenied, format, args...) }

// Conflict reports a duplicate, overlap or forbidden state transition (exit 5).
func Conflict(format string, args ...any) error { return newf(KindConflict, format, args...) }

// Timeout reports a wait that ran out of time (exit 124).
func Timeout(format string, args ...any) error { return newf(KindTimeout, format, args...) }

// FailedResult reports that the followed object ended failed (exit 1).
func FailedResult(format string, args ...any) error { return newf(KindFailedResult, format, args...) }

// Wrap gives err a kind, keeping its message.
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}

// KindOf returns the kind of the outermost classified error in the chain.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return KindFailure
	}
	return KindFailure
}

// Is reports whether err carries kind k.
func Is(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

// ExitCode is the one place errors become exit codes.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	switch KindOf(err) {
	case KindInvalid:
		return ExitInvalid
	case KindNotFound:
		return ExitNotFound
	case KindDenied:
		return ExitDenied
	case KindConflict:
		return ExitConflict
	case KindTimeout:
		return ExitTimeout
	default:
		return ExitFailure
	}
}
