// Package docs writes the command reference (markdown and man pages) and the
// shell completion scripts, generated from the command tree itself. It is
// used by cmd/gen-docs (`make docs`, the release's before-hooks), never by the
// dagctl binary: cobra's man-page generator links go-md2man and blackfriday,
// whose package initialisation every dagctl command would otherwise pay for.
package docs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Date is the date written into every man page header. It is fixed so that
// generating twice gives the same bytes and the checked-in pages can be
// compared with fresh ones.
var Date = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Markdown writes one markdown page per command of root into dir, replacing
// the pages an earlier run wrote there (pages of commands that no longer
// exist are removed; other files are left alone).
func Markdown(root *cobra.Command, dir string) error {
	if err := clean(dir, "dagctl*.md"); err != nil {
		return err
	}
	disableAutoGenTag(root)
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		return fmt.Errorf("docs: markdown: %w", err)
	}
	return nil
}

// Man writes one man page per command of root into dir (section 1), replacing
// the pages an earlier run wrote there.
func Man(root *cobra.Command, dir string) error {
	if err := clean(dir, "dagctl*.1"); err != nil {
		return err
	}
	disableAutoGenTag(root)
	date := Date
	header := &doc.GenManHeader{Section: "1", Date: &date, Source: "dagctl", Manual: "dagctl manual"}
	if err := doc.GenManTree(root, header, dir); err != nil {
		return fmt.Errorf("docs: man pages: %w", err)
	}
	return nil
}

// Completions writes the completion scripts of root into dir under the names
// each shell looks for: dagctl.bash, _dagctl (zsh), dagctl.fish and
// dagctl.ps1. They are the scripts `dagctl completion SHELL` prints.
func Completions(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("docs: %w", err)
	}
	name := root.Name()
	for _, c := range []struct {
		file string
		gen  func(*bytes.Buffer) error
	}{
		{name + ".bash", func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) }},
		{"_" + name, func(b *bytes.Buffer) error { return root.GenZshCompletion(b) }},
		{name + ".fish", func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) }},
		{name + ".ps1", func(b *bytes.Buffer) error { return root.GenPowerShellCompletionWithDesc(b) }},
	} {
		var b bytes.Buffer
		if err := c.gen(&b); err != nil {
			return fmt.Errorf("docs: completion %s: %w", c.file, err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.file), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("docs: %w", err)
		}
	}
	return nil
}

// clean creates dir and removes the files of an earlier run from it.
func clean(dir, glob string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("docs: %w", err)
	}
	old, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil {
		return fmt.Errorf("docs: %w", err)
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("docs: %w", err)
		}
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
