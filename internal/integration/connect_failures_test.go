package integration

import (
	"net"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/clitest"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// mariadbErr is the mariadb client's "ERROR 1045 (28000): " or "ERROR 2002 (HY000): " prefix,
// and errnoSuffix the " (115)" after a socket or resolver failure.
var (
	mariadbErr  = regexp.MustCompile(`^ERROR \d+ \([0-9A-Z]{5}\)( at line \d+)?: `)
	errnoSuffix = regexp.MustCompile(` \(-?\d+\)$`)
)

// mariadbCause runs the mariadb client with args and returns the cause it printed, without
// its "ERROR n (state): " prefix and the number in parentheses after a socket or resolver
// failure: the client's errno is not the cause's (a refused connection prints 115,
// EINPROGRESS, of its non-blocking connect), and a resolver's getaddrinfo code is the C
// library's.
func mariadbCause(t *testing.T, client string, args ...string) (cause, out string) {
	t.Helper()
	cmd := exec.Command(client, append([]string{"--no-defaults", "--connect-timeout=5", "-e", "SELECT 1"}, args...)...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	b, err := cmd.CombinedOutput()
	out = strings.TrimSpace(string(b))
	if err == nil {
		t.Fatalf("the mariadb client connected: %s", out)
	}
	lines := strings.Split(out, "\n")
	cause = mariadbErr.ReplaceAllString(lines[len(lines)-1], "")
	cause = errnoSuffix.ReplaceAllString(cause, "")
	return cause, out
}

// TestMySQLConnectFailuresNameTheCause: MariaDB's own refusals (Access denied for a wrong
// password or an unknown user, Unknown database), a refused port and a host name that does not resolve are named as the mariadb
// client names them, in one line with the address and without the password, exit 1.
func TestMySQLConnectFailuresNameTheCause(t *testing.T) {
	client, err := exec.LookPath("mariadb")
	if err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal("the mariadb client is not installed: in CI the comparison must run")
		}
		t.Skip("the mariadb client is not installed: nothing to compare with")
	}
	db := open(t, target{dbtest.MySQL, "2.10.5"})
	u, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	socket := u.Query().Get("unix_socket")
	const user, pass, wrong = "dagctl_conn", "right-Pw-7c1e", "wrong-Pw-93ab"
	db.SQL(t, "CREATE USER IF NOT EXISTS '"+user+"'@'localhost' IDENTIFIED BY '"+pass+"'")
	// Global rights: a database that does not exist is then "Unknown database", not "Access denied".
	db.SQL(t, "GRANT SELECT ON *.* TO '"+user+"'@'localhost'")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().(*net.TCPAddr).Port
	l.Close()

	mysqlURL := func(user, pass, host string, port int, dbname, query string) string {
		h := host
		if port != 0 {
			h = net.JoinHostPort(host, strconv.Itoa(port))
		}
		return (&url.URL{Scheme: "mysql", User: url.UserPassword(user, pass), Host: h, Path: "/" + dbname, RawQuery: query}).String()
	}
	viaSocket := "unix_socket=" + url.QueryEscape(socket)
	cases := []struct {
		name     string
		dagctl   string   // the URL dagctl gets
		client   []string // the same for the mariadb client
		where    string   // what dagctl's message names
		password string
		also     string // what dagctl says besides the client's words
	}{
		{"access denied", mysqlURL(user, wrong, "localhost", 0, db.Name, viaSocket),
			[]string{"-S", socket, "-u", user, "-p" + wrong, db.Name}, socket, wrong, ""},
		{"unknown user", mysqlURL("ghost", pass, "localhost", 0, db.Name, viaSocket),
			[]string{"-S", socket, "-u", "ghost", "-p" + pass, db.Name}, socket, pass, ""},
		{"unknown database", mysqlURL(user, pass, "localhost", 0, "nosuchdb", viaSocket),
			[]string{"-S", socket, "-u", user, "-p" + pass, "nosuchdb"}, socket, pass, ""},
		{"refused port", mysqlURL(user, pass, "127.0.0.1", refused, db.Name, ""),
			[]string{"--protocol=tcp", "-h", "127.0.0.1", "-P", strconv.Itoa(refused), "-u", user, "-p" + pass, db.Name}, "127.0.0.1:" + strconv.Itoa(refused), pass, "connection refused"},
		{"unresolvable host", mysqlURL(user, pass, "dagctl-test..invalid", 3306, db.Name, ""),
			[]string{"--protocol=tcp", "-h", "dagctl-test..invalid", "-P", "3306", "-u", user, "-p" + pass, db.Name}, "dagctl-test..invalid:3306", pass, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cause, out := mariadbCause(t, client, c.client...)
			res := clitest.New(t, nil).Run(t, "--db", c.dagctl, "dags", "list")
			msg := strings.TrimSpace(res.Stderr)
			if !strings.Contains(strings.ToLower(msg), strings.ToLower(cause)) || res.Code != 1 || strings.Contains(msg, "\n") ||
				!strings.Contains(msg, c.where) || strings.Contains(msg, c.password) || strings.Contains(msg, "timed out") || !strings.Contains(msg, c.also) {
				t.Errorf("dagctl (exit %d): %s\n\twant exit 1, one line naming %s and the client's cause %q, no password, no timeout\n\tmariadb: %s",
					res.Code, msg, c.where, cause, out)
			}
			if testing.Verbose() {
				t.Logf("mariadb: %s\ndagctl: %s", cause, msg)
			}
		})
	}
}
