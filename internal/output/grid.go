package output

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dagctl/dagctl/internal/iostreams"
)

// StateStyle is how a task instance or run state is drawn: a letter for
// pipes and NO_COLOR, and Airflow's colour on a terminal.
type StateStyle struct {
	State  string // "" is no status (no task instance, or state NULL)
	Letter string
	Color  string // Airflow's CSS colour name
	rgb    [3]uint8
}

// StateStyles is the letter table (documented in `runs grid --help`), in
// Airflow's grid priority order (api_fastapi/common/parameters.py
// state_priority): a mapped task shows its most urgent instance's state.
// Colours are airflow/utils/state.py State.state_color.
var StateStyles = []StateStyle{
	{"failed", "F", "red", [3]uint8{255, 0, 0}},
	{"upstream_failed", "U", "orange", [3]uint8{255, 165, 0}},
	{"up_for_retry", "Y", "gold", [3]uint8{255, 215, 0}},
	{"up_for_reschedule", "E", "turquoise", [3]uint8{64, 224, 208}},
	{"queued", "Q", "gray", [3]uint8{128, 128, 128}},
	{"scheduled", "C", "tan", [3]uint8{210, 180, 140}},
	{"deferred", "D", "mediumpurple", [3]uint8{147, 112, 219}},
	{"running", "R", "lime", [3]uint8{0, 255, 0}},
	{"restarting", "T", "violet", [3]uint8{238, 130, 238}},
	{"", ".", "lightblue", [3]uint8{173, 216, 230}},
	{"success", "S", "green", [3]uint8{0, 128, 0}},
	{"skipped", "K", "hotpink", [3]uint8{255, 105, 180}},
	{"removed", "X", "lightgrey", [3]uint8{211, 211, 211}},
}

// unknownStyle is any other state (awaiting_input, shutdown, ...): Airflow's
// State.color falls back to white.
var unknownStyle = StateStyle{Letter: "?", Color: "white", rgb: [3]uint8{255, 255, 255}}

// StyleOf returns the style of a state.
func StyleOf(state string) StateStyle {
	for _, s := range StateStyles {
		if s.State == state {
			return s
		}
	}
	u := unknownStyle
	u.State = state
	return u
}

// StatePriority ranks states as Airflow's grid does (lower is more urgent).
func StatePriority(state string) int {
	for i, s := range StateStyles {
		if s.State == state {
			return i
		}
	}
	return len(StateStyles)
}

// LetterTable documents the letters, for help texts.
func LetterTable() string {
	var b strings.Builder
	for _, s := range StateStyles {
		name := s.State
		if name == "" {
			name = "no status (no task instance yet)"
		}
		fmt.Fprintf(&b, "  %s  %-18s %s\n", s.Letter, name, s.Color)
	}
	b.WriteString("  ?  any other state    white\n")
	return b.String()
}

// cell draws one state: a coloured square, or its letter.
func cell(color bool, state string) string {
	st := StyleOf(state)
	if !color {
		return st.Letter
	}
	return fmt.Sprintf("\x1b[38;2;%d;%d;%dm■\x1b[0m", st.rgb[0], st.rgb[1], st.rgb[2])
}

// GridCell is one task of one run.
type GridCell struct {
	State string // most urgent state of a mapped task's instances
	// Mapped is the number of instances of a mapped task (0: not mapped or
	// none yet); Done is how many of them succeeded.
	Mapped int
	Done   int
}

// GridRow is one task across the runs.
type GridRow struct {
	TaskID string
	Cells  []GridCell
}

// Grid is runs (columns, oldest first) by tasks (rows).
type Grid struct {
	Title  string
	Labels []string // column labels
	Runs   []string // run states, one per column
	Rows   []GridRow
}

// WriteGrid draws the grid: colours and a legend on a terminal, letters in
// a pipe or with NO_COLOR/--no-color (a legend still on a terminal).
func WriteGrid(ios *iostreams.IOStreams, g Grid) error {
	color := ios.ColorEnabled()
	var b strings.Builder
	if g.Title != "" {
		b.WriteString(g.Title + "\n")
	}
	nameW := len("run")
	for _, r := range g.Rows {
		nameW = max(nameW, utf8.RuneCountInString(r.TaskID))
	}
	widths := make([]int, len(g.Labels))
	for i, l := range g.Labels {
		widths[i] = utf8.RuneCountInString(l)
		for _, r := range g.Rows {
			if c := r.Cells[i]; c.Mapped > 0 {
				widths[i] = max(widths[i], 2+len(summary(c)))
			}
		}
	}
	pad := func(s string, visible, w int) string {
		return s + strings.Repeat(" ", max(0, w-visible))
	}
	b.WriteString(pad("TASK", 4, nameW))
	for i, l := range g.Labels {
		b.WriteString("  " + pad(l, utf8.RuneCountInString(l), widths[i]))
	}
	b.WriteString("\n")
	seen := map[string]bool{}
	b.WriteString(pad("run", 3, nameW))
	for i, s := range g.Runs {
		seen[s] = true
		b.WriteString("  " + pad(cell(color, s), 1, widths[i]))
	}
	b.WriteString("\n")
	for _, r := range g.Rows {
		b.WriteString(pad(r.TaskID, utf8.RuneCountInString(r.TaskID), nameW))
		for i, c := range r.Cells {
			seen[c.State] = true
			text, visible := cell(color, c.State), 1
			if c.Mapped > 0 {
				text += " " + summary(c)
				visible += 1 + len(summary(c))
			}
			b.WriteString("  " + pad(text, visible, widths[i]))
		}
		b.WriteString("\n")
	}
	if ios.IsStdoutTTY() {
		b.WriteString(legend(color, seen))
	}
	_, err := fmt.Fprint(ios.Out, trimLines(b.String()))
	return err
}

func summary(c GridCell) string {
	return strconv.Itoa(c.Done) + "/" + strconv.Itoa(c.Mapped)
}

// legend lists the states on screen, in priority order.
func legend(color bool, seen map[string]bool) string {
	var parts []string
	for _, s := range StateStyles {
		if seen[s.State] {
			name := s.State
			if name == "" {
				name = "no status"
			}
			parts = append(parts, cell(color, s.State)+" "+name)
		}
	}
	for s := range seen {
		if StatePriority(s) == len(StateStyles) {
			parts = append(parts, cell(color, s)+" "+s)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "\n" + strings.Join(parts, "  ") + "\n"
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// Strip is a backfill's logical dates as a calendar strip.
type Strip struct {
	Title    string
	Progress string
	Dates    []string // labels, one per date, in date order
	States   []string // run state per date ("" planned, "skipped" skipped)
	PerLine  int
}

// WriteStrip draws the strip: lines of PerLine cells, each labelled with its
// first date, then the progress counts; a legend on a terminal.
func WriteStrip(ios *iostreams.IOStreams, s Strip) error {
	color := ios.ColorEnabled()
	per := s.PerLine
	if per <= 0 {
		per = 31
	}
	var b strings.Builder
	if s.Title != "" {
		b.WriteString(s.Title + "\n")
	}
	labelW := 0
	for i := 0; i < len(s.Dates); i += per {
		labelW = max(labelW, utf8.RuneCountInString(s.Dates[i]))
	}
	seen := map[string]bool{}
	for i := 0; i < len(s.Dates); i += per {
		end := min(i+per, len(s.Dates))
		b.WriteString(s.Dates[i] + strings.Repeat(" ", labelW-utf8.RuneCountInString(s.Dates[i])) + "  ")
		for j, st := range s.States[i:end] {
			seen[st] = true
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(cell(color, st))
		}
		b.WriteString("\n")
	}
	if s.Progress != "" {
		b.WriteString(s.Progress + "\n")
	}
	if ios.IsStdoutTTY() {
		b.WriteString(legend(color, seen))
	}
	_, err := fmt.Fprint(ios.Out, b.String())
	return err
}
