package elfmod

import (
	"encoding/binary"
	"strings"

	"github.com/modutils/modutils/elfmod/pkcs7"
)

// SignatureInfo is what kmod_module_signature_info finds in the signature
// appended to a module image. Signer, KeyID and Signature are raw bytes:
// for the PGP and X509 id types they are the bytes the trailer names (the
// signer may hold NULs; kmod prints it up to the first), for PKCS#7 they
// come from the first SignerInfo of the PKCS#7 message.
type SignatureInfo struct {
	IDType    string // "PGP", "X509" or "PKCS#7"
	Algo      string // "DSA" or "RSA", from the trailer; "" for PKCS#7, as in kmod
	HashAlgo  string // "md4" ... "sm3"
	Signer    string // PKCS#7: the issuer's commonName (else its last attribute)
	KeyID     []byte // PKCS#7: the issuer serial number, minimal big-endian magnitude
	Signature []byte // PKCS#7: the encryptedDigest
}

// sigMagic ends every signed module; struct module_signature precedes it.
const (
	sigMagic     = "~Module signature appended~\n"
	sigHeaderLen = 12 // sizeof(struct module_signature)
	sigTrailer   = len(sigMagic) + sigHeaderLen
)

// kmod's tables, indexed by the trailer's bytes.
var (
	sigAlgos    = [...]string{"DSA", "RSA"}
	sigHashes   = [...]string{"md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512", "sha224", "sm3"}
	sigIDTypes  = [...]string{"PGP", "X509", "PKCS#7"}
	pkeyIDPKCS7 = 2
)

// sigHeader is struct module_signature, decoded.
type sigHeader struct {
	algo, hash, idType, signerLen, keyIDLen byte
	sigLen                                  uint32
}

// parseSigHeader checks the trailer's last bytes (magic and header) as
// kmod_module_signature_info does, against an image of size bytes, and
// returns the header and how many bytes before the header the signature
// data takes.
func parseSigHeader(trailer []byte, size uint64) (sigHeader, uint64, bool) {
	var h sigHeader
	if size < uint64(len(sigMagic)) || len(trailer) < len(sigMagic) ||
		string(trailer[len(trailer)-len(sigMagic):]) != sigMagic {
		return h, 0, false
	}
	size -= uint64(len(sigMagic))
	if size < sigHeaderLen || len(trailer) < sigTrailer {
		return h, 0, false
	}
	size -= sigHeaderLen
	b := trailer[len(trailer)-sigTrailer:]
	h = sigHeader{algo: b[0], hash: b[1], idType: b[2], signerLen: b[3], keyIDLen: b[4], sigLen: binary.BigEndian.Uint32(b[8:])}
	if int(h.algo) >= len(sigAlgos) || int(h.hash) >= len(sigHashes) || int(h.idType) >= len(sigIDTypes) {
		return h, 0, false
	}
	need := uint64(h.signerLen) + uint64(h.keyIDLen) + uint64(h.sigLen)
	if h.sigLen == 0 || size < need {
		return h, 0, false
	}
	return h, need, true
}

// ParseSignature returns the signature appended to a whole (decompressed)
// module image, or nil where kmod finds none: no magic, a header naming an
// unknown algorithm, hash or id type, lengths past the start of the image,
// or a PKCS#7 message that OpenSSL would not parse or that names a digest
// kmod does not know.
func ParseSignature(img []byte) *SignatureInfo {
	size := uint64(len(img))
	h, need, ok := parseSigHeader(img[len(img)-min(len(img), sigTrailer):], size)
	if !ok {
		return nil
	}
	end := size - uint64(sigTrailer)
	return fillSignature(h, img[end-need:end])
}

// Signature returns the module's appended signature as kmod reads it from
// the original image (before any StripSection), or nil if there is none
// kmod would report. Only the trailer is read.
func (m *Module) Signature() (*SignatureInfo, error) {
	if m.closed {
		return nil, errClosed
	}
	n := min(m.size, uint64(sigTrailer))
	trailer, err := m.readAt(m.size-n, n)
	if err != nil {
		return nil, err
	}
	h, need, ok := parseSigHeader(trailer, m.size)
	if !ok {
		return nil, nil
	}
	end := m.size - uint64(sigTrailer)
	data, err := m.readAt(end-need, need)
	if err != nil {
		return nil, err
	}
	return fillSignature(h, data), nil
}

// fillSignature decodes the signature data: signer, key id and signature
// bytes in that order.
func fillSignature(h sigHeader, data []byte) *SignatureInfo {
	sig := data[uint64(h.signerLen)+uint64(h.keyIDLen):]
	if int(h.idType) == pkeyIDPKCS7 {
		s, ok := pkcs7.Parse(sig)
		if !ok {
			return nil
		}
		return &SignatureInfo{IDType: sigIDTypes[h.idType], HashAlgo: s.HashAlgo, Signer: s.Name, KeyID: s.KeyID, Signature: s.Signature}
	}
	return &SignatureInfo{
		IDType:    sigIDTypes[h.idType],
		Algo:      sigAlgos[h.algo],
		HashAlgo:  sigHashes[h.hash],
		Signer:    string(data[:h.signerLen]),
		KeyID:     append([]byte(nil), data[h.signerLen:uint64(h.signerLen)+uint64(h.keyIDLen)]...),
		Signature: append([]byte(nil), sig...),
	}
}

// Modinfo returns the entries kmod_module_get_info appends for a signature,
// in its order, as "key=value" strings like those of Module.Modinfo:
// sig_id, signer, sig_key, sig_hashalgo and signature. Key id and signature
// are upper-case hex bytes joined by colons, with a line break and two tabs
// after every 20th byte; the signer ends at its first NUL, as kmod's C
// strings do.
func (s *SignatureInfo) Modinfo() []string {
	signer := s.Signer
	if i := strings.IndexByte(signer, 0); i >= 0 {
		signer = signer[:i]
	}
	return []string{
		"sig_id=" + s.IDType,
		"signer=" + signer,
		"sig_key=" + HexString(s.KeyID),
		"sig_hashalgo=" + s.HashAlgo,
		"signature=" + HexString(s.Signature),
	}
}

// HexString formats b as kmod_module_hex_to_str does: "01:AB:...", with
// "\n\t\t" after the colon that follows every 20th byte.
func HexString(b []byte) string {
	const digits = "0123456789ABCDEF"
	if len(b) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.Grow(len(b)*3 + len(b)/20*3)
	for i, c := range b {
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&15])
		if i < len(b)-1 {
			sb.WriteByte(':')
			if (i+1)%20 == 0 {
				sb.WriteString("\n\t\t")
			}
		}
	}
	return sb.String()
}
