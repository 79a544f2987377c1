package config

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// mysqlDefaultSockets are where MySQL-family servers put their socket on Linux; mysqlclient
// (MySQLdb, SQLAlchemy's default MySQL driver) connects to "localhost" through it.
var mysqlDefaultSockets = []string{"/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock", "/tmp/mysql.sock"}

// mysqlIgnored are driver options that tune only the Python client (how it returns text,
// whether it compresses), not the rows Airflow reads or writes: dagctl accepts and ignores them.
var mysqlIgnored = map[string]bool{
	"binary_prefix": true, "use_unicode": true, "local_infile": true, "compress": true,
	"client_flag": true, "program_name": true,
}

// mysqlKnown are the options dagctl maps (SQLAlchemy passes the URL's query to the driver on
// top of the URL's parts: sqlalchemy/dialects/mysql/mysqldb.py create_connect_args).
var mysqlKnown = map[string]bool{
	"unix_socket": true, "charset": true, "connect_timeout": true, "read_timeout": true, "write_timeout": true,
	"user": true, "passwd": true, "password": true, "host": true, "port": true, "db": true, "database": true,
	"ssl_mode": true, "ssl-mode": true, "ssl_ca": true, "ssl_cert": true, "ssl_key": true,
	"ssl_verify_cert": true, "ssl_verify_identity": true, "ssl_check_hostname": true, "ssl_disabled": true,
}

// TLS modes, as MySQL's --ssl-mode names them.
const (
	mysqlTLSDisabled       = "DISABLED"
	mysqlTLSPreferred      = "PREFERRED"
	mysqlTLSRequired       = "REQUIRED"
	mysqlTLSVerifyCA       = "VERIFY_CA"
	mysqlTLSVerifyIdentity = "VERIFY_IDENTITY"
)

// parseMySQL reads mysql://, mysql+mysqldb://, mysql+pymysql://, mysql+mysqlconnector:// (and
// mariadb://) URLs as SQLAlchemy and the drivers Airflow uses read them.
func (u *DBURL) parseMySQL(group func(string) (string, bool)) error {
	if user, ok := group("username"); ok {
		u.User = pyUnquote(user)
	}
	if pw, ok := group("password"); ok {
		u.password = pyUnquote(pw)
		u.secrets = append(u.secrets, u.password, pw)
	}
	host, _ := group("ipv4host")
	if host == "" {
		host, _ = group("ipv6host")
	}
	if strings.Contains(host, "@") {
		return invalidf("database URL %s://...: the host part contains '@'; percent-encode special characters in the password ('@' as %%40)", u.Scheme)
	}
	u.Host = host
	u.Port, _ = group("port")
	u.Database, _ = group("database")
	q := u.Query
	for _, k := range []string{"passwd", "password"} {
		for _, v := range q[k] {
			u.secrets = append(u.secrets, v)
			u.password = v
		}
	}
	if v := q.Get("user"); v != "" {
		u.User = v
	}
	if v := q.Get("host"); v != "" {
		u.Host = v
	}
	if v := q.Get("port"); v != "" {
		u.Port = v
	}
	for _, k := range []string{"db", "database"} {
		if v := q.Get(k); v != "" {
			u.Database = v
		}
	}
	if u.Port != "" {
		if n, err := strconv.Atoi(u.Port); err != nil || n < 1 || n > 65535 {
			return invalidf("database URL %s: port must be a number from 1 to 65535", u.redacted)
		}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !mysqlKnown[k] && !mysqlIgnored[k] {
			return invalidf("database URL %s: option %q is not supported for mysql (dagctl knows unix_socket, charset, connect_timeout, read_timeout, write_timeout, ssl_mode, ssl_ca, ssl_cert, ssl_key, ssl_verify_cert, ssl_verify_identity, ssl_check_hostname, ssl_disabled)", u.redacted, k)
		}
	}
	if cs := q.Get("charset"); cs != "" {
		switch strings.ToLower(cs) {
		case "utf8", "utf8mb3", "utf8mb4":
		default:
			return invalidf("database URL %s: charset %q is not supported; use utf8mb4 (dagctl talks utf8mb4, which holds every utf8 value)", u.redacted, cs)
		}
	}
	for _, k := range []string{"connect_timeout", "read_timeout", "write_timeout"} {
		if t := q.Get(k); t != "" {
			if n, err := strconv.Atoi(strings.TrimSpace(t)); err != nil || n < 0 {
				return invalidf("database URL %s: %s must be a whole number of seconds", u.redacted, k)
			}
		}
	}
	_, err := u.mysqlTLS()
	return err
}

// mysqlTLSOptions is what the URL's ssl options ask for.
type mysqlTLSOptions struct {
	mode                string
	ca, cert, key       string // file paths
	verifyCA, checkHost bool
}

// mysqlTLS maps the ssl options of mysqlclient (ssl_mode, ssl_ca, ssl_cert, ssl_key,
// ssl_check_hostname), PyMySQL and mysql-connector (ssl_ca, ssl_cert, ssl_key, ssl_verify_cert,
// ssl_verify_identity, ssl_disabled) to one TLS mode. Without any, TLS is PREFERRED, as with
// MySQL's client library: used when the server offers it, without verification.
func (u *DBURL) mysqlTLS() (mysqlTLSOptions, error) {
	q := u.Query
	o := mysqlTLSOptions{ca: q.Get("ssl_ca"), cert: q.Get("ssl_cert"), key: q.Get("ssl_key")}
	flag := func(k string) (bool, bool, error) {
		v := q.Get(k)
		if v == "" {
			return false, false, nil
		}
		switch strings.ToLower(v) {
		case "1", "true", "yes", "on":
			return true, true, nil
		case "0", "false", "no", "off":
			return false, true, nil
		}
		return false, false, invalidf("database URL %s: %s must be true or false, not %q", u.redacted, k, v)
	}
	verifyCert, hasVerifyCert, err := flag("ssl_verify_cert")
	if err != nil {
		return o, err
	}
	verifyIdent, hasVerifyIdent, err := flag("ssl_verify_identity")
	if err != nil {
		return o, err
	}
	checkHost, hasCheckHost, err := flag("ssl_check_hostname")
	if err != nil {
		return o, err
	}
	disabled, _, err := flag("ssl_disabled")
	if err != nil {
		return o, err
	}
	if (o.cert == "") != (o.key == "") {
		return o, invalidf("database URL %s: ssl_cert and ssl_key go together (the client certificate and its key)", u.redacted)
	}
	mode := firstNonEmpty(q.Get("ssl_mode"), q.Get("ssl-mode"))
	switch m := strings.ToUpper(strings.ReplaceAll(mode, "-", "_")); {
	case mode != "":
		switch m {
		case mysqlTLSDisabled, mysqlTLSPreferred, mysqlTLSRequired, mysqlTLSVerifyCA, mysqlTLSVerifyIdentity:
			o.mode = m
		default:
			return o, invalidf("database URL %s: ssl_mode %q is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY", u.redacted, mode)
		}
	case disabled:
		o.mode = mysqlTLSDisabled
	case o.ca != "" || o.cert != "" || hasVerifyCert || hasVerifyIdent || hasCheckHost:
		// PyMySQL (connections.py _create_ssl_ctx): with a CA the certificate and the host
		// name are checked unless switched off.
		switch {
		case (hasVerifyIdent && verifyIdent) || (hasCheckHost && checkHost) ||
			(o.ca != "" && !(hasVerifyIdent && !verifyIdent) && !(hasCheckHost && !checkHost) && !(hasVerifyCert && !verifyCert)):
			o.mode = mysqlTLSVerifyIdentity
		case (hasVerifyCert && verifyCert) || (o.ca != "" && !(hasVerifyCert && !verifyCert)):
			o.mode = mysqlTLSVerifyCA
		default:
			o.mode = mysqlTLSRequired
		}
	default:
		o.mode = mysqlTLSPreferred
	}
	if o.mode == mysqlTLSDisabled && (o.ca != "" || o.cert != "") {
		return o, invalidf("database URL %s: ssl_mode DISABLED (or ssl_disabled) contradicts ssl_ca/ssl_cert", u.redacted)
	}
	o.verifyCA = o.mode == mysqlTLSVerifyCA || o.mode == mysqlTLSVerifyIdentity
	o.checkHost = o.mode == mysqlTLSVerifyIdentity
	// A certificate file that cannot be read is a mistake in the settings:
	// say so now (exit 2), naming the option and the file, not at connect time.
	for _, f := range []struct{ key, path string }{{"ssl_ca", o.ca}, {"ssl_cert", o.cert}, {"ssl_key", o.key}} {
		if f.path == "" {
			continue
		}
		if fh, err := os.Open(f.path); err != nil {
			return o, invalidf("database URL %s: %s %s cannot be read: %v", u.redacted, f.key, f.path, errors.Unwrap(err))
		} else {
			fh.Close()
		}
	}
	return o, nil
}

// mysqlSocket is the unix socket the connection goes through, "" for TCP: ?unix_socket=, else,
// for mysqlclient (the default driver) and a local host without a port, the server's default
// socket when there is one, as libmysqlclient connects to "localhost".
func (u *DBURL) mysqlSocket() string {
	if s := u.Query.Get("unix_socket"); s != "" {
		return s
	}
	_, drv, _ := strings.Cut(u.Scheme, "+")
	if (drv == "" || drv == "mysqldb") && (u.Host == "" || u.Host == "localhost") && u.Port == "" {
		for _, p := range mysqlDefaultSockets {
			if st, err := os.Stat(p); err == nil && st.Mode()&os.ModeSocket != 0 {
				return p
			}
		}
	}
	return ""
}

func (u *DBURL) mysqlHostPort() string {
	if s := u.mysqlSocket(); s != "" {
		return s
	}
	return net.JoinHostPort(firstNonEmpty(u.Host, "localhost"), firstNonEmpty(u.Port, "3306"))
}

// mysqlDSN is the go-sql-driver/mysql DSN, with what Airflow's engine sets on every MySQL
// session: time_zone '+00:00' (airflow/utils/orm_event_handlers.py), so that TIMESTAMP(6)
// columns hold and return UTC whatever the server's own zone; times come back as UTC
// time.Time values. READ COMMITTED (airflow/settings.py prepare_engine_args) is set per
// transaction by the store, as MariaDB and MySQL 8 name the session variable differently.
func (u *DBURL) mysqlDSN() string {
	cfg := mysql.NewConfig()
	cfg.User = u.User
	cfg.Passwd = u.password
	cfg.DBName = u.Database
	if s := u.mysqlSocket(); s != "" {
		cfg.Net, cfg.Addr = "unix", s
	} else {
		cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(firstNonEmpty(u.Host, "localhost"), firstNonEmpty(u.Port, "3306"))
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	// Arguments are escaped into the statement text by the driver (it knows the session's
	// NO_BACKSLASH_ESCAPES state): one round trip per statement instead of prepare + execute.
	cfg.InterpolateParams = true
	cfg.Collation = "utf8mb4_unicode_ci"
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	if u.connectTimeout > 0 {
		cfg.Timeout = time.Duration(math.Ceil(u.connectTimeout.Seconds())) * time.Second
	} else if t := u.Query.Get("connect_timeout"); t != "" {
		n, _ := strconv.Atoi(strings.TrimSpace(t))
		cfg.Timeout = time.Duration(n) * time.Second
	}
	if t := u.Query.Get("read_timeout"); t != "" {
		n, _ := strconv.Atoi(strings.TrimSpace(t))
		cfg.ReadTimeout = time.Duration(n) * time.Second
	}
	if t := u.Query.Get("write_timeout"); t != "" {
		n, _ := strconv.Atoi(strings.TrimSpace(t))
		cfg.WriteTimeout = time.Duration(n) * time.Second
	}
	o, _ := u.mysqlTLS() // validated by ParseDBURL
	switch {
	case cfg.Net == "unix" || o.mode == mysqlTLSDisabled:
		cfg.TLSConfig = "false"
	case o.mode == mysqlTLSPreferred:
		cfg.TLSConfig = "preferred"
	default:
		name := registerMySQLTLS(o, firstNonEmpty(u.Host, "localhost"))
		cfg.TLSConfig = name
	}
	return cfg.FormatDSN()
}

// registerMySQLTLS registers the TLS configuration o asks for with the driver and returns its
// name. A CA or certificate file that cannot be read fails the TLS handshake with the reason.
func registerMySQLTLS(o mysqlTLSOptions, host string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{o.mode, o.ca, o.cert, o.key, host}, "\x00")))
	name := "dagctl-" + hex.EncodeToString(sum[:8])
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	var loadErr error
	var roots *x509.CertPool
	if o.ca != "" {
		pem, err := os.ReadFile(o.ca)
		if err != nil {
			loadErr = fmt.Errorf("ssl_ca: %w", err)
		} else {
			roots = x509.NewCertPool()
			if !roots.AppendCertsFromPEM(pem) {
				loadErr = fmt.Errorf("ssl_ca %s: no PEM certificate in it", o.ca)
			}
		}
	}
	if o.cert != "" && loadErr == nil {
		pair, err := tls.LoadX509KeyPair(o.cert, o.key)
		if err != nil {
			loadErr = fmt.Errorf("ssl_cert/ssl_key: %w", err)
		} else {
			cfg.Certificates = []tls.Certificate{pair}
		}
	}
	cfg.RootCAs = roots
	switch {
	case loadErr != nil:
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(tls.ConnectionState) error { return loadErr }
	case o.checkHost:
		// Go's default verification: chain and host name.
	case o.verifyCA:
		// The chain only (MySQL's VERIFY_CA), not the host name.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	default:
		// REQUIRED: encrypted, not verified.
		cfg.InsecureSkipVerify = true
	}
	_ = mysql.RegisterTLSConfig(name, cfg)
	return name
}
