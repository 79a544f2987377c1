package pgtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"strings"
)

// VerifyError is a server certificate that failed libpq's checks. Its
// message is one line naming the host, what failed and the setting involved.
type VerifyError struct {
	Host   string
	Mode   string // sslmode
	Reason string
	Err    error // the x509 error, if any
}

func (e *VerifyError) Error() string { return e.Reason }

func (e *VerifyError) Unwrap() error { return e.Err }

type verifier struct {
	roots    *x509.CertPool
	rootDesc string
	host     string
	mode     string
	full     bool
}

// verify checks the chain against the root certificates (OpenSSL's
// SSL_VERIFY_PEER in libpq), then, for verify-full, the host name as libpq's
// pq_verify_peer_name_matches_certificate does.
func (v *verifier) verify(cs tls.ConnectionState) error {
	certs := cs.PeerCertificates
	if len(certs) == 0 {
		return &VerifyError{Host: v.host, Mode: v.mode, Reason: fmt.Sprintf("server %s sent no certificate (sslmode=%s verifies it)", v.host, v.mode)}
	}
	opts := x509.VerifyOptions{Roots: v.roots, Intermediates: x509.NewCertPool()}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	chains, err := certs[0].Verify(opts)
	if err == nil && !anchoredAtSelfSigned(chains) {
		// OpenSSL, without X509_V_FLAG_PARTIAL_CHAIN (libpq does not set
		// it), trusts a chain only up to a self-signed root: an intermediate
		// alone in the root file is not enough, where Go would accept it.
		err = errors.New("x509: the root certificate file holds no self-signed root for this chain, only an intermediate (OpenSSL: unable to get issuer certificate)")
	}
	if err != nil {
		roots := "sslrootcert " + v.rootDesc
		if v.rootDesc == "system" {
			roots = "the system's trusted roots (sslrootcert=system)"
		}
		return &VerifyError{Host: v.host, Mode: v.mode, Err: err,
			Reason: fmt.Sprintf("server certificate of %s is not trusted by %s (sslmode=%s): %s", v.host, roots, v.mode, oneLine(err.Error()))}
	}
	if v.full && !MatchesHost(certs[0], v.host) {
		return &VerifyError{Host: v.host, Mode: v.mode,
			Reason: fmt.Sprintf("server certificate for %s does not match host name %q (sslmode=verify-full checks it; connect with the name the certificate holds, or use sslmode=verify-ca)", certNames(certs[0]), v.host)}
	}
	return nil
}

func anchoredAtSelfSigned(chains [][]*x509.Certificate) bool {
	for _, ch := range chains {
		root := ch[len(ch)-1]
		if bytes.Equal(root.RawIssuer, root.RawSubject) && root.CheckSignatureFrom(root) == nil {
			return true
		}
	}
	return false
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// MatchesHost reports whether cert names host the way libpq (14+) decides
// it for sslmode=verify-full: a host name is matched against the dNSName
// Subject Alternative Names, or, when there is none, against the Common
// Name; an IP address against the iPAddress and dNSName SANs, or, when
// there is no iPAddress SAN, against the Common Name too. Names compare
// without regard to case; a leading "*." matches one label.
func MatchesHost(cert *x509.Certificate, host string) bool {
	h := strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if i := strings.IndexByte(h, '%'); i >= 0 && strings.Contains(h, ":") {
		h = h[:i] // an IPv6 zone
	}
	ip := net.ParseIP(h)
	for _, n := range cert.DNSNames {
		if nameMatches(n, h) {
			return true
		}
	}
	checkCN := len(cert.DNSNames) == 0
	if ip != nil {
		for _, a := range cert.IPAddresses {
			if a.Equal(ip) {
				return true
			}
		}
		checkCN = len(cert.IPAddresses) == 0
	}
	if checkCN {
		if cn := firstCommonName(cert); cn != "" && nameMatches(cn, h) {
			return true
		}
	}
	return false
}

// nameMatches is libpq's name check: equal without regard to case, or a
// "*.rest" pattern whose "*" stands for one non-empty label
// (wildcard_certificate_match).
func nameMatches(pattern, host string) bool {
	if strings.EqualFold(pattern, host) {
		return true
	}
	if len(pattern) < 3 || !strings.HasPrefix(pattern, "*.") || len(pattern) > len(host) {
		return false
	}
	suffix := pattern[1:]
	if !strings.EqualFold(host[len(host)-len(suffix):], suffix) {
		return false
	}
	label := host[:len(host)-len(suffix)]
	return label != "" && !strings.Contains(label, ".")
}

var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// firstCommonName is the first CN of the subject, the one libpq reads
// (X509_NAME_get_index_by_NID from the start); Go's Subject.CommonName keeps
// the last.
func firstCommonName(cert *x509.Certificate) string {
	for _, atv := range cert.Subject.Names {
		if atv.Type.Equal(oidCommonName) {
			if s, ok := atv.Value.(string); ok {
				return s
			}
		}
	}
	return cert.Subject.CommonName
}

// certNames lists what the certificate is for, for messages.
func certNames(cert *x509.Certificate) string {
	var names []string
	for _, n := range cert.DNSNames {
		names = append(names, fmt.Sprintf("%q", n))
	}
	for _, a := range cert.IPAddresses {
		names = append(names, a.String())
	}
	if len(names) > 0 {
		return strings.Join(names, ", ")
	}
	if cn := firstCommonName(cert); cn != "" {
		return fmt.Sprintf("%q (Common Name)", cn)
	}
	return "no name"
}
