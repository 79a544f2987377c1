package pgtls

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"hash"
	"strings"
)

// keyError is a private key that could not be loaded; password says the
// cause is the sslpassword (missing or wrong).
type keyError struct {
	msg      string
	password bool
}

func (e *keyError) Error() string { return e.msg }

// decodeKey returns the PEM of the first private key in data, decrypted
// with password when it is encrypted (legacy "Proc-Type: 4,ENCRYPTED" PEM,
// or PKCS#8 "ENCRYPTED PRIVATE KEY" with PBES2, which openssl writes).
func decodeKey(data []byte, password setting) ([]byte, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, &keyError{msg: "no PEM private key in the file"}
		}
		if !strings.Contains(block.Type, "PRIVATE KEY") {
			continue
		}
		//lint:ignore SA1019 libpq reads legacy encrypted PEM keys, so must dagctl.
		if x509.IsEncryptedPEMBlock(block) { //nolint:staticcheck
			if !password.set {
				return nil, &keyError{msg: "the key is encrypted and sslpassword is not set", password: true}
			}
			der, err := x509.DecryptPEMBlock(block, []byte(password.value)) //nolint:staticcheck
			if err != nil {
				return nil, &keyError{msg: "bad decrypt: wrong sslpassword" + password.from(), password: true}
			}
			return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der}), nil
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" {
			if !password.set {
				return nil, &keyError{msg: "the key is encrypted and sslpassword is not set", password: true}
			}
			der, err := decryptPKCS8(block.Bytes, []byte(password.value))
			if err != nil {
				return nil, err
			}
			return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
		}
		return pem.EncodeToMemory(block), nil
	}
}

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

type encryptedPrivateKeyInfo struct {
	Algo pkix.AlgorithmIdentifier
	Data []byte
}

type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Scheme pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt   []byte
	Iter   int
	KeyLen int                      `asn1:"optional"`
	PRF    pkix.AlgorithmIdentifier `asn1:"optional"`
}

// decryptPKCS8 decrypts a PKCS#8 EncryptedPrivateKeyInfo using PBES2 with
// PBKDF2 and AES-CBC or 3DES-CBC (RFC 8018), what OpenSSL 1.1 and 3 write
// for "openssl pkey -aes256" and "openssl genpkey -aes-256-cbc".
func decryptPKCS8(der, password []byte) ([]byte, error) {
	unsupported := func(what string) error {
		return &keyError{msg: "unsupported encrypted key (" + what + "); convert it with: openssl pkey -in KEY -out KEY.new -aes256"}
	}
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, &keyError{msg: "malformed encrypted private key"}
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, unsupported("scheme " + info.Algo.Algorithm.String())
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &params); err != nil {
		return nil, &keyError{msg: "malformed PBES2 parameters"}
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, unsupported("key derivation " + params.KDF.Algorithm.String())
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, &keyError{msg: "malformed PBKDF2 parameters"}
	}
	var prf func() hash.Hash
	switch alg := kdf.PRF.Algorithm; {
	case len(alg) == 0 || alg.Equal(oidHMACSHA1):
		prf = sha1.New
	case alg.Equal(oidHMACSHA224):
		prf = sha256.New224
	case alg.Equal(oidHMACSHA256):
		prf = sha256.New
	case alg.Equal(oidHMACSHA384):
		prf = sha512.New384
	case alg.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, unsupported("PRF " + alg.String())
	}
	var keyLen int
	var newCipher func([]byte) (cipher.Block, error)
	switch alg := params.Scheme.Algorithm; {
	case alg.Equal(oidAES128CBC):
		keyLen, newCipher = 16, aes.NewCipher
	case alg.Equal(oidAES192CBC):
		keyLen, newCipher = 24, aes.NewCipher
	case alg.Equal(oidAES256CBC):
		keyLen, newCipher = 32, aes.NewCipher
	case alg.Equal(oidDESEDE3CBC):
		keyLen, newCipher = 24, des.NewTripleDESCipher
	default:
		return nil, unsupported("cipher " + alg.String())
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Scheme.Parameters.FullBytes, &iv); err != nil {
		return nil, &keyError{msg: "malformed cipher parameters"}
	}
	key, err := pbkdf2.Key(prf, string(password), kdf.Salt, kdf.Iter, keyLen)
	if err != nil {
		return nil, &keyError{msg: "derive the key: " + err.Error()}
	}
	block, err := newCipher(key)
	if err != nil || len(iv) != block.BlockSize() || len(info.Data) == 0 || len(info.Data)%block.BlockSize() != 0 {
		return nil, &keyError{msg: "malformed encrypted private key"}
	}
	out := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, info.Data)
	wrong := &keyError{msg: "bad decrypt: wrong sslpassword", password: true}
	pad := int(out[len(out)-1])
	if pad == 0 || pad > block.BlockSize() {
		return nil, wrong
	}
	for _, c := range out[len(out)-pad:] {
		if int(c) != pad {
			return nil, wrong
		}
	}
	out = out[:len(out)-pad]
	if _, err := x509.ParsePKCS8PrivateKey(out); err != nil {
		return nil, wrong
	}
	return out, nil
}
