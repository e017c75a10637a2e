// Package pkcs7 decodes the PKCS#7 message of a signed module the way
// kmod's fill_pkcs7 does with OpenSSL: d2i_PKCS7 must accept the whole message
// (so its structure is checked as OpenSSL's ASN.1 templates check it, BER
// included: indefinite lengths, constructed strings, non-minimal length
// octets), then the first SignerInfo gives the issuer's commonName, the
// serial number, the digest algorithm and the encrypted digest.
//
// Certificates and CRLs inside the message are checked only as far as
// being SEQUENCEs: OpenSSL would decode them fully, but module signatures
// carry none (sign-file uses CMS_NOCERTS).
//
// Input is untrusted: every length is checked against the bytes there
// are, nesting is bounded, and a message OpenSSL would refuse is refused
// (Parse's ok is false), so modinfo prints what kmod prints for it.
package pkcs7

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/modutils/modutils/internal/libc"
)

// ASN.1 tag classes and the universal tags used.
const (
	classUniversal = 0
	classContext   = 2

	tagEOC         = 0
	tagBoolean     = 1
	tagInteger     = 2
	tagBitString   = 3
	tagOctetString = 4
	tagNull        = 5
	tagOID         = 6
	tagEnumerated  = 10
	tagUTF8String  = 12
	tagSequence    = 16
	tagSet         = 17
	tagUTCTime     = 23
	tagGenTime     = 24
	tagUniversal   = 28
	tagBMPString   = 30

	// OpenSSL's nesting limits: ASN1_MAX_CONSTRUCTED_NEST and
	// ASN1_MAX_STRING_NEST.
	maxNest       = 30
	maxStringNest = 5
	// x509NameMax is X509_NAME_MAX: OpenSSL decodes a Name from at most
	// this many bytes.
	x509NameMax = 1024 * 1024
)

// DER contents of the object identifiers fill_pkcs7 looks at.
var (
	oidPKCS7Prefix = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07}
	oidCommonName  = []byte{0x55, 0x04, 0x03}
	// hashOIDs are the digests a module may be signed with, by the long
	// name OpenSSL's OBJ_obj2txt gives them, which libkmod 34.2 prints (kmod
	// 30 had its own short list: "rmd160" was its name for ripemd160).
	hashOIDs = []struct {
		oid  []byte
		name string
	}{
		{[]byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x04}, "md4"},
		{[]byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05}, "md5"},
		{[]byte{0x2b, 0x0e, 0x03, 0x02, 0x1a}, "sha1"},
		{[]byte{0x2b, 0x24, 0x03, 0x02, 0x01}, "ripemd160"},
		{[]byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}, "sha256"},
		{[]byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02}, "sha384"},
		{[]byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03}, "sha512"},
		{[]byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04}, "sha224"},
		{[]byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x05}, "sha512-224"},
		{[]byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x06}, "sha512-256"},
		{[]byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x07}, "sha3-224"},
		{[]byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x08}, "sha3-256"},
		{[]byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x09}, "sha3-384"},
		{[]byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x0a}, "sha3-512"},
		{[]byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x0b}, "shake128"},
		{[]byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x0c}, "shake256"},
		{[]byte{0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x11}, "sm3"},
	}
)

// oidText is OBJ_obj2txt's numeric form of a DER object identifier's
// contents ("2.16.840.1.101.3.4.2.1"), what libkmod 34.2 prints for a
// digest OpenSSL has no name for; false for contents that do not encode
// an identifier. An arc may be of any length, as OpenSSL's BIGNUM takes it.
func oidText(oid []byte) (string, bool) {
	if len(oid) == 0 || oid[len(oid)-1]&0x80 != 0 {
		return "", false
	}
	var b []byte
	var arc decimal
	first := true
	for i := 0; i < len(oid); {
		if oid[i] == 0x80 {
			return "", false // a padded arc
		}
		j := i
		for oid[j]&0x80 != 0 {
			j++
		}
		arc = arc[:0]
		for _, c := range oid[i : j+1] {
			arc = arc.mulAdd(128, uint32(c&0x7f))
		}
		if first {
			// The first arc holds two: 0 and 1 take 40 values each.
			top := uint32(2)
			if arc.below(80) {
				top = arc.low() / 40
			}
			b = append(b, byte('0'+top), '.')
			arc.sub(40 * top)
			first = false
		} else {
			b = append(b, '.')
		}
		b = arc.append(b)
		i = j + 1
	}
	return string(b), true
}

// decimal is an unsigned number of any size in base 10⁹, its least
// significant limb first (none: zero): an object identifier's arcs, which
// DER does not bound.
type decimal []uint32

const decimalBase = 1e9

// mulAdd is d*m + a.
func (d decimal) mulAdd(m, a uint32) decimal {
	carry := uint64(a)
	for i := range d {
		v := uint64(d[i])*uint64(m) + carry
		d[i], carry = uint32(v%decimalBase), v/decimalBase
	}
	for carry > 0 {
		d, carry = append(d, uint32(carry%decimalBase)), carry/decimalBase
	}
	return d
}

// below says whether d < n, for n < 10⁹.
func (d decimal) below(n uint32) bool {
	for _, l := range d[min(1, len(d)):] {
		if l != 0 {
			return false
		}
	}
	return d.low() < n
}

// low is d's least significant limb.
func (d decimal) low() uint32 {
	if len(d) == 0 {
		return 0
	}
	return d[0]
}

// sub subtracts n (at most d, and below 10⁹) in place.
func (d decimal) sub(n uint32) {
	borrow := int64(n)
	for i := 0; borrow > 0 && i < len(d); i++ {
		v := int64(d[i]) - borrow
		borrow = 0
		if v < 0 {
			v += decimalBase
			borrow = 1
		}
		d[i] = uint32(v)
	}
}

// append appends d in decimal digits, without leading zeros.
func (d decimal) append(b []byte) []byte {
	top := len(d) - 1
	for top > 0 && d[top] == 0 {
		top--
	}
	if top < 0 {
		return append(b, '0')
	}
	b = strconv.AppendUint(b, uint64(d[top]), 10)
	for i := top - 1; i >= 0; i-- {
		s := strconv.AppendUint(nil, uint64(d[i]), 10)
		for k := len(s); k < 9; k++ {
			b = append(b, '0')
		}
		b = append(b, s...)
	}
	return b
}

// PKCS#7 content types, the last arc of 1.2.840.113549.1.7.
const (
	p7Data = 1 + iota
	p7Signed
	p7Enveloped
	p7SignedAndEnveloped
	p7Digest
	p7Encrypted
)

// ber is a decoder over one buffer; fields are decoded from b[p:end].
type ber struct {
	depth int
}

// header is one decoded identifier and length: the contents follow the
// hdrLen header bytes and take n bytes; for an indefinite length, n is
// everything left, and the contents end at an end-of-contents marker.
type header struct {
	class, tag  int
	constructed bool
	indefinite  bool
	hdrLen      int
	n           int
}

// readHeader is ASN1_get_object: it decodes the header at the start of b
// and fails where OpenSSL does (truncated header, tag number overflow,
// more than 8 significant length octets, a definite length past the end
// of b, an indefinite length on a primitive).
func readHeader(b []byte) (header, bool) {
	var h header
	if len(b) == 0 {
		return h, false
	}
	p := 0
	h.class = int(b[0] >> 6)
	h.constructed = b[0]&0x20 != 0
	h.tag = int(b[0] & 0x1f)
	p++
	if h.tag == 0x1f {
		tag := 0
		for {
			if p >= len(b) {
				return h, false
			}
			c := b[p]
			p++
			tag = tag<<7 | int(c&0x7f)
			if c&0x80 == 0 {
				break
			}
			if tag > 0x7fffffff>>7 {
				return h, false
			}
		}
		h.tag = tag
	}
	if p >= len(b) {
		return h, false
	}
	c := b[p]
	p++
	switch {
	case c == 0x80:
		h.indefinite = true
	case c&0x80 != 0:
		k := int(c & 0x7f)
		// OpenSSL wants a byte beyond the length octets.
		if len(b)-p < k+1 {
			return h, false
		}
		for k > 0 && b[p] == 0 {
			p++
			k--
		}
		if k > 8 {
			return h, false
		}
		var n uint64
		for ; k > 0; k-- {
			n = n<<8 | uint64(b[p])
			p++
		}
		if n > uint64(len(b)-p) {
			return h, false
		}
		h.n = int(n)
	default:
		h.n = int(c)
		if h.n > len(b)-p {
			return h, false
		}
	}
	if h.indefinite && !h.constructed {
		return h, false
	}
	h.hdrLen = p
	if h.indefinite {
		h.n = len(b) - p
	}
	return h, true
}

// isEOC reports whether b starts with an end-of-contents marker.
func isEOC(b []byte) bool { return len(b) >= 2 && b[0] == 0 && b[1] == 0 }

// findEnd is asn1_find_end: the length of the indefinite-length content
// at the start of b, including its end-of-contents marker.
func (d *ber) findEnd(b []byte) (int, bool) {
	p, open := 0, 1
	for open > 0 {
		if isEOC(b[p:]) {
			open--
			p += 2
			continue
		}
		h, ok := readHeader(b[p:])
		if !ok {
			return 0, false
		}
		p += h.hdrLen
		if h.indefinite {
			if open == 1<<30 {
				return 0, false
			}
			open++
		} else {
			p += h.n
		}
	}
	return p, true
}

// collect is asn1_collect: the concatenated primitive contents of a
// constructed string (any tags inside, nested at most maxStringNest deep).
// b is the content after the outer header; it returns the bytes consumed.
func (d *ber) collect(dst, b []byte, indefinite bool, nest int) ([]byte, int, bool) {
	if nest > maxStringNest {
		return nil, 0, false
	}
	p := 0
	for p < len(b) {
		if isEOC(b[p:]) {
			if !indefinite {
				return nil, 0, false
			}
			return dst, p + 2, true
		}
		h, ok := readHeader(b[p:])
		if !ok {
			return nil, 0, false
		}
		p += h.hdrLen
		if h.constructed {
			var n int
			dst, n, ok = d.collect(dst, b[p:p+h.n], h.indefinite, nest+1)
			if !ok {
				return nil, 0, false
			}
			p += n
		} else {
			dst = append(dst, b[p:p+h.n]...)
			p += h.n
		}
	}
	if indefinite {
		return nil, 0, false
	}
	return dst, p, true
}

// expect reads the header of a field with the given tag and class at the
// start of b. absent is true (and ok false) when the tag differs and the
// field is optional; a malformed header is never "absent".
func expect(b []byte, class, tag int, opt bool) (h header, ok, absent bool) {
	h, ok = readHeader(b)
	if !ok {
		return h, false, false
	}
	if h.class != class || h.tag != tag {
		return h, false, opt
	}
	return h, true, false
}

// field is the outcome of decoding one field: consumed bytes, or absent
// (an OPTIONAL field that is not there), or failure.
type field struct {
	n      int
	absent bool
	ok     bool
}

func fail() field         { return field{} }
func absent() field       { return field{absent: true, ok: true} }
func took(n int) field    { return field{n: n, ok: true} }
func (f field) bad() bool { return !f.ok }

// decoder decodes one value at the start of b (the bytes left in the
// enclosing structure), with an implicit tag (class, tag) when tag >= 0.
type decoder func(d *ber, b []byte, class, tag int, opt bool) field

// prim decodes a universal primitive type (INTEGER, OID, OCTET STRING,
// NULL...) as asn1_d2i_ex_primitive does, handing its contents to check.
// Constructed encodings are collected for string types and refused for
// the others.
func (d *ber) prim(b []byte, class, tag int, opt bool, utype int, check func(content []byte) bool) field {
	if tag < 0 {
		class, tag = classUniversal, utype
	}
	h, ok, abs := expect(b, class, tag, opt)
	if abs {
		return absent()
	}
	if !ok {
		return fail()
	}
	content, n, ok := d.primitiveContent(utype, b, h)
	if !ok || !check(content) {
		return fail()
	}
	return took(n)
}

// primitiveContent returns the contents of the value whose header is h at
// the start of b, collecting constructed strings, and the bytes it spans.
func (d *ber) primitiveContent(utype int, b []byte, h header) ([]byte, int, bool) {
	body := b[h.hdrLen:]
	if !h.constructed {
		return body[:h.n], h.hdrLen + h.n, true
	}
	switch utype {
	case tagNull, tagBoolean, tagOID, tagInteger, tagEnumerated:
		return nil, 0, false
	}
	content, n, ok := d.collect(nil, body[:h.n], h.indefinite, 0)
	if !ok {
		return nil, 0, false
	}
	return content, h.hdrLen + n, true
}

// checkOID is c2i_ASN1_OBJECT's validation.
func checkOID(c []byte) bool {
	if len(c) == 0 || c[len(c)-1]&0x80 != 0 {
		return false
	}
	for i, x := range c {
		if x == 0x80 && (i == 0 || c[i-1]&0x80 == 0) {
			return false
		}
	}
	return true
}

// checkInteger is c2i_ibuf's validation: no empty contents, no padding
// octet that the sign does not need.
func checkInteger(c []byte) bool {
	if len(c) == 0 {
		return false
	}
	if len(c) == 1 {
		return true
	}
	neg := c[0] & 0x80
	pad := false
	switch c[0] {
	case 0:
		pad = true
	case 0xff:
		for _, x := range c[1:] {
			if x != 0 {
				pad = true
				break
			}
		}
	}
	return !(pad && neg == c[1]&0x80)
}

// integerMagnitude is ASN1_INTEGER_to_BN then BN_bn2bin: the absolute
// value of the two's complement contents c, big-endian, without leading
// zeros (empty for zero).
func integerMagnitude(c []byte) []byte {
	m := append([]byte(nil), c...)
	if len(m) > 0 && m[0]&0x80 != 0 {
		for i := range m {
			m[i] = ^m[i]
		}
		for i := len(m) - 1; i >= 0; i-- {
			if m[i]++; m[i] != 0 {
				break
			}
		}
	}
	for len(m) > 0 && m[0] == 0 {
		m = m[1:]
	}
	return m
}

func anyContent([]byte) bool { return true }

func decInteger(d *ber, b []byte, class, tag int, opt bool) field {
	return d.prim(b, class, tag, opt, tagInteger, checkInteger)
}

func decOID(d *ber, b []byte, class, tag int, opt bool) field {
	return d.prim(b, class, tag, opt, tagOID, checkOID)
}

func decOctetString(d *ber, b []byte, class, tag int, opt bool) field {
	return d.prim(b, class, tag, opt, tagOctetString, anyContent)
}

// checkUniversal is what asn1_ex_c2i checks of a universal type's
// contents in an ANY or a multi-string.
func checkUniversal(utype int, c []byte) bool {
	switch utype {
	case tagOID:
		return checkOID(c)
	case tagNull:
		return len(c) == 0
	case tagBoolean:
		return len(c) == 1
	case tagBitString:
		return len(c) >= 1 && c[0] <= 7
	case tagInteger, tagEnumerated:
		return checkInteger(c)
	case tagBMPString:
		return len(c)&1 == 0
	case tagUniversal:
		return len(c)&3 == 0
	}
	return true
}

// decodeAny is ASN1_ANY: any one value. Non-universal classes and
// SEQUENCE/SET are kept whole; other universal types are checked.
func decodeAny(d *ber, b []byte, class, tag int, opt bool) field {
	h, ok := readHeader(b)
	if !ok {
		return fail()
	}
	_, n, ok := d.anyValue(b, h, h.class != classUniversal)
	if !ok {
		return fail()
	}
	return took(n)
}

// anyValue decodes the value with header h at the start of b as
// asn1_d2i_ex_primitive does for ANY and multi-strings, returning what
// ASN1_STRING_get0_data would: the contents, or the whole encoding for
// SEQUENCE, SET and non-universal values.
func (d *ber) anyValue(b []byte, h header, other bool) ([]byte, int, bool) {
	utype := h.tag
	if other || utype == tagSequence || utype == tagSet {
		if !other && !h.constructed {
			return nil, 0, false
		}
		n := h.hdrLen + h.n
		if h.indefinite {
			e, ok := d.findEnd(b[h.hdrLen:])
			if !ok {
				return nil, 0, false
			}
			n = h.hdrLen + e
		}
		return b[:n], n, true
	}
	c, n, ok := d.primitiveContent(utype, b, h)
	if !ok || !checkUniversal(utype, c) {
		return nil, 0, false
	}
	if utype == tagBitString {
		c = bitStringData(c)
	}
	return c, n, true
}

// bitStringData is the data c2i_ASN1_BIT_STRING keeps: the bits without
// the count of unused ones, the unused bits cleared.
func bitStringData(c []byte) []byte {
	pad := c[0]
	d := append([]byte(nil), c[1:]...)
	if len(d) > 0 {
		d[len(d)-1] &= 0xff << pad
	}
	return d
}

// constructed reads the header of the constructed value at the start of b
// (a SEQUENCE when tag < 0) and hands its contents to read, counting the
// nesting against maxNest: body is the contents (for an indefinite length,
// all that follows the header). An absent OPTIONAL value or a bad header
// is answered without calling read.
func (d *ber) constructed(b []byte, class, tag int, opt bool, read func(h header, body []byte) field) field {
	if tag < 0 {
		class, tag = classUniversal, tagSequence
	}
	h, ok, abs := expect(b, class, tag, opt)
	if abs {
		return absent()
	}
	if !ok || !h.constructed {
		return fail()
	}
	if d.depth++; d.depth > maxNest {
		return fail()
	}
	defer func() { d.depth-- }()
	return read(h, b[h.hdrLen:h.hdrLen+h.n])
}

// finish ends a constructed value whose contents were read up to p: an
// indefinite length still open (eoc) must end with an end-of-contents
// marker there, and a definite one must have been read to its end.
func finish(h header, body []byte, p int, eoc bool) field {
	if eoc {
		if !isEOC(body[p:]) {
			return fail()
		}
		p += 2
	} else if !h.indefinite && p != len(body) {
		return fail()
	}
	return took(h.hdrLen + p)
}

// sequence decodes a SEQUENCE whose fields are decoded by fields, in
// order, the way asn1_item_embed_d2i does: each field but the last may be
// OPTIONAL (opts), data left over or a required field missing fail, and
// an indefinite length must end with an end-of-contents marker.
func (d *ber) sequence(b []byte, class, tag int, opt bool, fields []decoder, opts []bool) field {
	return d.constructed(b, class, tag, opt, func(h header, body []byte) field {
		p := 0
		eoc := h.indefinite
		i := 0
		for ; i < len(fields); i++ {
			if p == len(body) {
				break
			}
			if isEOC(body[p:]) {
				if !eoc {
					return fail()
				}
				p += 2
				eoc = false
				break
			}
			isOpt := i < len(fields)-1 && opts[i]
			f := fields[i](d, body[p:], -1, -1, isOpt)
			if f.bad() {
				return fail()
			}
			p += f.n
		}
		for j := i; j < len(fields); j++ {
			if !opts[j] {
				return fail()
			}
		}
		return finish(h, body, p, eoc)
	})
}

// seq makes a decoder of a SEQUENCE type.
func seq(fields []decoder, opts []bool) decoder {
	return func(d *ber, b []byte, class, tag int, opt bool) field {
		return d.sequence(b, class, tag, opt, fields, opts)
	}
}

// listOf decodes a SET OF or SEQUENCE OF (implicitly tagged when tag >=
// 0) whose elements item decodes, calling each with the element's bytes.
// Like OpenSSL it does not insist that the list be constructed.
func (d *ber) listOf(b []byte, class, tag int, opt bool, item decoder, each func([]byte)) field {
	h, ok, abs := expect(b, class, tag, opt)
	if abs {
		return absent()
	}
	if !ok {
		return fail()
	}
	body := b[h.hdrLen : h.hdrLen+h.n]
	p := 0
	eoc := h.indefinite
	for p < len(body) {
		if isEOC(body[p:]) {
			if !eoc {
				return fail()
			}
			p += 2
			eoc = false
			break
		}
		f := item(d, body[p:], -1, -1, false)
		if f.bad() || f.absent {
			return fail()
		}
		if each != nil {
			each(body[p : p+f.n])
		}
		p += f.n
	}
	if eoc {
		return fail()
	}
	return took(h.hdrLen + p)
}

// setOf and seqOf make list decoders, universally tagged or, when
// implicit >= 0, with that context tag.
func setOf(item decoder, implicit int) decoder { return listOfTag(tagSet, item, implicit) }

func seqOf(item decoder, implicit int) decoder { return listOfTag(tagSequence, item, implicit) }

func listOfTag(utag int, item decoder, implicit int) decoder {
	return func(d *ber, b []byte, class, tag int, opt bool) field {
		if implicit >= 0 {
			return d.listOf(b, classContext, implicit, opt, item, nil)
		}
		return d.listOf(b, classUniversal, utag, opt, item, nil)
	}
}

// explicit decodes an EXPLICIT [tag] wrapper around inner.
func explicit(tag int, inner decoder) decoder {
	return func(d *ber, b []byte, _, _ int, opt bool) field {
		h, ok, abs := expect(b, classContext, tag, opt)
		if abs {
			return absent()
		}
		if !ok || !h.constructed {
			return fail()
		}
		body := b[h.hdrLen : h.hdrLen+h.n]
		f := inner(d, body, -1, -1, false)
		if f.bad() || f.absent {
			return fail()
		}
		return finish(h, body, f.n, h.indefinite)
	}
}

// implicitPrim decodes an IMPLICIT [tag] primitive of type utype.
func implicitPrim(tag int, dec decoder) decoder {
	return func(d *ber, b []byte, _, _ int, opt bool) field {
		return dec(d, b, classContext, tag, opt)
	}
}

// Templates of OpenSSL's PKCS#7 types, as functions so that nothing is
// built at package initialisation.

// decAlgor is X509_ALGOR: { algorithm OID, parameter ANY OPTIONAL }.
func decAlgor(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{decOID, decodeAny}, []bool{false, true})
}

// decAttribute is X509_ATTRIBUTE: { object OID, set SET OF ANY }.
func decAttribute(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{decOID, setOf(decodeAny, -1)}, []bool{false, false})
}

func decCerts(d *ber, b []byte, class, tag int, opt bool) field {
	return seqOf(decCertificate, 0)(d, b, class, tag, opt)
}

func decCRLs(d *ber, b []byte, class, tag int, opt bool) field {
	return setOf(decCRL, 1)(d, b, class, tag, opt)
}

func decIssuerAndSerial(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{decName, decInteger}, []bool{false, false})
}

func decRecipInfo(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{decInteger, decIssuerAndSerial, decAlgor, decOctetString}, []bool{false, false, false, false})
}

func decEncContent(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{decOID, decAlgor, implicitPrim(0, decOctetString)}, []bool{false, false, true})
}

// Certificates and CRLs as OpenSSL's X509 and X509_CRL templates decode
// them. (Module signatures carry neither; OpenSSL's post-decoding
// callbacks, which can refuse some CRL extensions, are not reproduced.)
func decBitString(d *ber, b []byte, class, tag int, opt bool) field {
	return d.prim(b, class, tag, opt, tagBitString, func(c []byte) bool { return len(c) >= 1 && c[0] <= 7 })
}

func decBoolean(d *ber, b []byte, class, tag int, opt bool) field {
	return d.prim(b, class, tag, opt, tagBoolean, func(c []byte) bool { return len(c) == 1 })
}

// decTime is ASN1_TIME: a UTCTime or GeneralizedTime multi-string.
func decTime(d *ber, b []byte, class, tag int, opt bool) field {
	h, ok := readHeader(b)
	if !ok {
		return fail()
	}
	if h.class != classUniversal || (h.tag != tagUTCTime && h.tag != tagGenTime) {
		if opt {
			return absent()
		}
		return fail()
	}
	_, n, ok := d.anyValue(b, h, false)
	if !ok {
		return fail()
	}
	return took(n)
}

func decExtension(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{decOID, decBoolean, decOctetString}, []bool{false, true, false})
}

func decExtensions(d *ber, b []byte, class, tag int, opt bool) field {
	return seqOf(decExtension, -1)(d, b, class, tag, opt)
}

func decTBSCert(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{
		explicit(0, decInteger), decInteger, decAlgor, decName, decValidity, decName, decPubkey,
		implicitPrim(1, decBitString), implicitPrim(2, decBitString), explicit(3, decExtensions),
	}, []bool{true, false, false, false, false, false, false, true, true, true})
}

func decValidity(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{decTime, decTime}, []bool{false, false})
}

func decPubkey(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{decAlgor, decBitString}, []bool{false, false})
}

func decCertificate(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{decTBSCert, decAlgor, decBitString}, []bool{false, false, false})
}

func decRevoked(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{decInteger, decTime, decExtensions}, []bool{false, false, true})
}

func decCRLInfo(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{
		decInteger, decAlgor, decName, decTime, decTime, seqOf(decRevoked, -1), explicit(0, decExtensions),
	}, []bool{true, false, false, false, true, true, true})
}

func decCRL(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{decCRLInfo, decAlgor, decBitString}, []bool{false, false, false})
}

// decName is X509_NAME: SEQUENCE OF SET OF { type OID, value
// ASN1_PRINTABLE }, decoded from at most x509NameMax bytes, whose string
// values must convert to UTF-8 (x509_name_canon).
func decName(d *ber, b []byte, class, tag int, opt bool) field {
	if len(b) > x509NameMax {
		b = b[:x509NameMax]
	}
	rdn := func(d *ber, b []byte, _, _ int, _ bool) field {
		return d.listOf(b, classUniversal, tagSet, false, decNameEntry, nil)
	}
	return d.listOf(b, classUniversal, tagSequence, opt, rdn, nil)
}

// decNameEntry is X509_NAME_ENTRY.
func decNameEntry(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt, []decoder{decOID, decPrintable}, []bool{false, false})
}

// printableTags is B_ASN1_PRINTABLE through ASN1_tag2bit: the universal
// tags an X509_NAME_ENTRY value may have.
func printableTag(tag int) bool {
	switch tag {
	case 3, 7, 8, 9, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 28, 29, 30:
		return true
	}
	return false
}

// decPrintable is an ASN1_PRINTABLE multi-string value.
func decPrintable(d *ber, b []byte, class, tag int, opt bool) field {
	_, n, ok := d.printable(b)
	if !ok {
		return fail()
	}
	return took(n)
}

// printable decodes an ASN1_PRINTABLE at the start of b and returns its
// data as ASN1_STRING_get0_data would.
func (d *ber) printable(b []byte) ([]byte, int, bool) {
	h, ok := readHeader(b)
	if !ok || h.class != classUniversal || !printableTag(h.tag) {
		return nil, 0, false
	}
	v, n, ok := d.anyValue(b, h, false)
	if !ok || !canonOK(h.tag, v) {
		return nil, 0, false
	}
	return v, n, true
}

// canonOK is whether asn1_string_canon can convert a value of this type
// to UTF-8, which x509_name_ex_d2i requires.
func canonOK(tag int, v []byte) bool {
	switch tag {
	case tagUTF8String:
		return utf8.Valid(v)
	case tagBMPString:
		if len(v)&1 != 0 {
			return false
		}
		for i := 0; i < len(v); i += 2 {
			if c := uint32(v[i])<<8 | uint32(v[i+1]); c >= 0xd800 && c <= 0xdfff {
				return false
			}
		}
	case tagUniversal:
		if len(v)&3 != 0 {
			return false
		}
		for i := 0; i < len(v); i += 4 {
			c := uint32(v[i])<<24 | uint32(v[i+1])<<16 | uint32(v[i+2])<<8 | uint32(v[i+3])
			if c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) {
				return false
			}
		}
	}
	return true
}

// pkcs7 is what parsePKCS7 keeps of a decoded message.
type pkcs7 struct {
	signerInfo []byte // the first SignerInfo's encoding, if any
}

// contentType returns the PKCS#7 type number of an OID's contents (0 for
// other OIDs).
func contentType(oid []byte) int {
	if len(oid) == len(oidPKCS7Prefix)+1 && bytes.HasPrefix(oid, oidPKCS7Prefix) && oid[len(oid)-1] >= p7Data && oid[len(oid)-1] <= p7Encrypted {
		return int(oid[len(oid)-1])
	}
	return 0
}

// message decodes a PKCS7 (ContentInfo) at the start of b. For the
// outermost message (out != nil) it records the first SignerInfo of a
// signedData or signedAndEnvelopedData.
func (d *ber) message(b []byte, class, tag int, opt bool, out *pkcs7) field {
	return d.constructed(b, class, tag, opt, func(h header, body []byte) field {
		p := 0
		eoc := h.indefinite
		// type OBJECT IDENTIFIER
		if p == len(body) || isEOC(body) {
			return fail()
		}
		th, ok := readHeader(body)
		if !ok || th.class != classUniversal || th.tag != tagOID {
			return fail()
		}
		f := decOID(d, body, -1, -1, false)
		if f.bad() {
			return fail()
		}
		oid := body[th.hdrLen : th.hdrLen+th.n]
		p += f.n
		// The content, [0] EXPLICIT, of the type the OID selects; the last
		// field, so never skipped while data remains.
		if p < len(body) {
			if isEOC(body[p:]) {
				if !eoc {
					return fail()
				}
				return took(h.hdrLen + p + 2)
			}
			var inner decoder
			switch contentType(oid) {
			case p7Data:
				inner = decOctetString
			case p7Signed:
				inner = func(d *ber, b []byte, class, tag int, opt bool) field {
					return d.signedData(b, false, out)
				}
			case p7SignedAndEnveloped:
				inner = func(d *ber, b []byte, class, tag int, opt bool) field {
					return d.signedData(b, true, out)
				}
			case p7Enveloped:
				inner = seq([]decoder{decInteger, setOf(decRecipInfo, -1), decEncContent}, []bool{false, false, false})
			case p7Digest:
				inner = seq([]decoder{decInteger, decAlgor, decMessage, decOctetString}, []bool{false, false, false, false})
			case p7Encrypted:
				inner = seq([]decoder{decInteger, decEncContent}, []bool{false, false})
			default:
				inner = decodeAny
			}
			f := explicit(0, inner)(d, body[p:], -1, -1, false)
			if f.bad() {
				return fail()
			}
			p += f.n
		}
		return finish(h, body, p, eoc)
	})
}

// decMessage decodes a nested PKCS7, whose signer infos do not matter.
func decMessage(d *ber, b []byte, class, tag int, opt bool) field {
	return d.message(b, class, tag, opt, nil)
}

// signedData decodes PKCS7_SIGNED (or, with enveloped, PKCS7_SIGN_ENVELOPE)
// and records the first SignerInfo in out.
func (d *ber) signedData(b []byte, enveloped bool, out *pkcs7) field {
	var first []byte
	signers := func(d *ber, b []byte, class, tag int, opt bool) field {
		return d.listOf(b, classUniversal, tagSet, opt, decSignerInfo, func(si []byte) {
			if first == nil {
				first = si
			}
		})
	}
	var fields []decoder
	var opts []bool
	if enveloped {
		fields = []decoder{decInteger, setOf(decRecipInfo, -1), setOf(decAlgor, -1), decEncContent, decCerts, decCRLs, signers}
		opts = []bool{false, false, false, false, true, true, false}
	} else {
		fields = []decoder{decInteger, setOf(decAlgor, -1), decMessage, decCerts, decCRLs, signers}
		opts = []bool{false, false, false, true, true, false}
	}
	f := d.sequence(b, -1, -1, false, fields, opts)
	if f.ok && out != nil {
		out.signerInfo = first
	}
	return f
}

// decSignerInfo is PKCS7_SIGNER_INFO.
func decSignerInfo(d *ber, b []byte, class, tag int, opt bool) field {
	return d.sequence(b, class, tag, opt,
		[]decoder{decInteger, decIssuerAndSerial, decAlgor, seqOf(decAttribute, 0), decAlgor, decOctetString, setOf(decAttribute, 1)},
		[]bool{false, false, false, true, false, false, true})
}

// Signer is what kmod_module_signature_info takes from the first
// SignerInfo of a module's PKCS#7 message.
type Signer struct {
	HashAlgo  string // the digest algorithm: "sha512", or the OID as text
	Name      string // the issuer's commonName (else its last attribute), up to a NUL
	KeyID     []byte // the issuer's serial number, minimal big-endian magnitude
	Signature []byte // the encryptedDigest
}

// Parse is d2i_PKCS7 followed by fill_pkcs7's extraction: ok is false
// when OpenSSL would refuse the message or it has no SignerInfo.
func Parse(b []byte) (s *Signer, ok bool) {
	d := &ber{}
	var p7 pkcs7
	if f := d.message(b, -1, -1, false, &p7); f.bad() {
		return nil, false
	}
	if p7.signerInfo == nil {
		return nil, false
	}
	return d.signerFields(p7.signerInfo)
}

// signerFields walks an already validated SignerInfo for the issuer,
// serial, digest algorithm and encrypted digest.
func (d *ber) signerFields(si []byte) (*Signer, bool) {
	f := d.elements(d.contents(si))
	// version, issuerAndSerialNumber, digestAlgorithm,
	// [0] authenticatedAttributes OPTIONAL, digestEncryptionAlgorithm,
	// encryptedDigest, ...
	if h, _ := readHeader(f[3]); h.class == classContext {
		f = append(f[:3], f[4:]...)
	}
	dh, _ := readHeader(f[4])
	digest, _, _ := d.primitiveContent(tagOctetString, f[4], dh)

	alg := d.contents(f[2])
	oh, _ := readHeader(alg)
	oid := alg[oh.hdrLen : oh.hdrLen+oh.n]
	hash := ""
	for _, h := range hashOIDs {
		if bytes.Equal(h.oid, oid) {
			hash = h.name
			break
		}
	}
	if hash == "" {
		var ok bool
		if hash, ok = oidText(oid); !ok {
			return nil, false
		}
	}

	ias := d.elements(d.contents(f[1]))
	ih, _ := readHeader(ias[1])
	serial, _, _ := d.primitiveContent(tagInteger, ias[1], ih)
	return &Signer{
		HashAlgo:  hash,
		Name:      d.nameSigner(ias[0]),
		KeyID:     integerMagnitude(serial),
		Signature: append([]byte(nil), digest...),
	}, true
}

// nameSigner is x509_name_to_str: the value of the first commonName of a
// Name, or of its last attribute if it has no commonName, up to the first
// NUL; "" for a Name without attributes.
func (d *ber) nameSigner(name []byte) string {
	var last []byte
	for _, set := range d.elements(d.contents(name)) {
		for _, entry := range d.elements(d.contents(set)) {
			e := d.contents(entry)
			oh, _ := readHeader(e)
			v, _, _ := d.printable(e[oh.hdrLen+oh.n:])
			last = v
			if bytes.Equal(e[oh.hdrLen:oh.hdrLen+oh.n], oidCommonName) {
				return libc.CString(string(v))
			}
		}
	}
	return libc.CString(string(last))
}

// span is the length of the validated value at the start of b.
func (d *ber) span(b []byte) int {
	h, _ := readHeader(b)
	if h.indefinite {
		e, _ := d.findEnd(b[h.hdrLen:])
		return h.hdrLen + e
	}
	return h.hdrLen + h.n
}

// contents is the contents of the validated value at the start of b,
// without an end-of-contents marker.
func (d *ber) contents(b []byte) []byte {
	h, _ := readHeader(b)
	if h.indefinite {
		e, _ := d.findEnd(b[h.hdrLen:])
		return b[h.hdrLen : h.hdrLen+e-2]
	}
	return b[h.hdrLen : h.hdrLen+h.n]
}

// elements splits validated contents into their values.
func (d *ber) elements(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 && !isEOC(b) {
		n := d.span(b)
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}
