package cmdutil

import (
	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
)

// NewGroup builds a noun command that only holds verbs: alone it prints its
// help; with an unknown verb it fails with exit 2.
func NewGroup(use, short, example string) *cobra.Command {
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return apperr.Invalid("unknown command %q for %q (see '%s --help')", args[0], cmd.CommandPath(), cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
}
