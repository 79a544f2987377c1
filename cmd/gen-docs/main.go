// Command gen-docs writes dagctl's command reference (markdown, man pages) and
// its shell completion scripts from the command tree. It is a program of its
// own, as gh's is, so that the dagctl binary does not link the man-page
// renderer (go-md2man and blackfriday).
//
//	go run ./cmd/gen-docs --markdown docs/commands --man docs/man   # make docs
//	go run ./cmd/gen-docs --man dist/man --completions dist/completions   # release
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dagctl/dagctl/internal/app"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/docs"
	"github.com/dagctl/dagctl/internal/iostreams"
)

func main() {
	var markdown, man, completions string
	flag.StringVar(&markdown, "markdown", "", "write one markdown page per command into `DIR`")
	flag.StringVar(&man, "man", "", "write one man page (section 1) per command into `DIR`")
	flag.StringVar(&completions, "completions", "", "write the bash, zsh, fish and PowerShell completion scripts into `DIR`")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: gen-docs [--markdown DIR] [--man DIR] [--completions DIR]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 || markdown+man+completions == "" {
		flag.Usage()
		os.Exit(2)
	}
	root := app.NewRootCmd(cmdutil.New(iostreams.System()))
	for _, step := range []struct {
		dir string
		gen func() error
	}{
		{markdown, func() error { return docs.Markdown(root, markdown) }},
		{man, func() error { return docs.Man(root, man) }},
		{completions, func() error { return docs.Completions(root, completions) }},
	} {
		if step.dir == "" {
			continue
		}
		if err := step.gen(); err != nil {
			fmt.Fprintln(os.Stderr, "gen-docs:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "wrote", step.dir)
	}
}
