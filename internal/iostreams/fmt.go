package iostreams

import "fmt"

func sprintf(format string, args ...any) string {
	s := fmt.Sprintf(format, args...)
	if len(s) == 0 || s[len(s)-1] != '\n' {
		s += "\n"
	}
	return s
}
