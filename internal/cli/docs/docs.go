// Package docs implements `dagctl docs`: the command reference as markdown
// and man pages, generated from the command tree itself.
package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
)

// Date is the date written into every man page header. It is fixed so that
// generating twice gives the same bytes and the checked-in pages can be
// compared with fresh ones.
var Date = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Options are the flags of docs.
type Options struct {
	Dir string
}

// NewCmdDocs builds `dagctl docs`.
func NewCmdDocs(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "docs",
		Short: "Generate the command reference as markdown and man pages",
		Long: `Generate one markdown page per command into DIR/commands and one man page per
command into DIR/man, from the commands themselves. Pages of commands that no
longer exist are removed. The output is deterministic: no generation date.`,
		Example: "  dagctl docs --dir docs\n  man docs/man/dagctl-runs-create.1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := Generate(cmd.Root(), opts.Dir); err != nil {
				return err
			}
			f.IO.Infof("wrote %s and %s\n", filepath.Join(opts.Dir, "commands"), filepath.Join(opts.Dir, "man"))
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", "docs", "directory to write commands/ and man/ into")
	return cmd
}

// Generate writes the markdown reference of root into dir/commands and its
// man pages into dir/man, replacing what an earlier run wrote there.
func Generate(root *cobra.Command, dir string) error {
	mdDir, manDir := filepath.Join(dir, "commands"), filepath.Join(dir, "man")
	for _, d := range []struct{ dir, glob string }{{mdDir, "dagctl*.md"}, {manDir, "dagctl*.1"}} {
		if err := os.MkdirAll(d.dir, 0o755); err != nil {
			return fmt.Errorf("docs: %w", err)
		}
		old, err := filepath.Glob(filepath.Join(d.dir, d.glob))
		if err != nil {
			return fmt.Errorf("docs: %w", err)
		}
		for _, p := range old {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("docs: %w", err)
			}
		}
	}
	disableAutoGenTag(root)
	if err := doc.GenMarkdownTree(root, mdDir); err != nil {
		return fmt.Errorf("docs: markdown: %w", err)
	}
	date := Date
	header := &doc.GenManHeader{Section: "1", Date: &date, Source: "dagctl", Manual: "dagctl manual"}
	if err := doc.GenManTree(root, header, manDir); err != nil {
		return fmt.Errorf("docs: man pages: %w", err)
	}
	return nil
}

// disableAutoGenTag drops cobra's "Auto generated ... on <today>" footer from
// every page; cobra reads the flag per command.
func disableAutoGenTag(cmd *cobra.Command) {
	cmd.DisableAutoGenTag = true
	for _, c := range cmd.Commands() {
		disableAutoGenTag(c)
	}
}
