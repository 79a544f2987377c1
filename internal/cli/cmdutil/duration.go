package cmdutil

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// PositiveDurationVar defines a duration flag that refuses zero, negative
// and unit-less values while parsing (exit 2 naming the flag and the form).
func PositiveDurationVar(fs *pflag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var((*positiveDuration)(p), name, usage)
}

type positiveDuration time.Duration

func (d *positiveDuration) String() string { return time.Duration(*d).String() }

func (d *positiveDuration) Set(v string) error {
	x, err := time.ParseDuration(v)
	if err != nil || x <= 0 {
		return fmt.Errorf("must be a positive duration such as 30s, 10m or 2h")
	}
	*d = positiveDuration(x)
	return nil
}

func (d *positiveDuration) Type() string { return "duration" }
