package cmdutil

import (
	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/output"
)

// SetupScripting compiles --jq or --template once, before any database work,
// and applies --no-color and NO_COLOR. outputChanged says whether -o was
// given: --jq and --template work on the JSON data, so another explicit
// format is a contradiction.
func (f *Factory) SetupScripting(outputChanged bool) error {
	if f.Global.NoColor {
		f.IO.DisableColor()
	}
	if v, ok := f.Getenv("NO_COLOR"); ok && v != "" {
		f.IO.DisableColor()
	}
	if f.Global.JQ == "" && f.Global.Template == "" {
		return nil
	}
	if f.Global.JQ != "" && f.Global.Template != "" {
		return apperr.Invalid("--jq and --template: give one or the other")
	}
	if outputChanged && f.Global.Output != string(output.JSON) {
		return apperr.Invalid("--jq and --template read the json output; drop -o %s", f.Global.Output)
	}
	var err error
	if f.Global.JQ != "" {
		f.filter, err = output.CompileJQ(f.Global.JQ)
	} else {
		f.filter, err = output.CompileTemplate(f.Global.Template)
	}
	return err
}

// Filtering reports whether --jq or --template is in effect.
func (f *Factory) Filtering() bool { return f.filter != nil }
