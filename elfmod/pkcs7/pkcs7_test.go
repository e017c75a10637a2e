package pkcs7

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"
)

// elfmod's signature tests build whole messages and compare with kmod;
// these are the refusals that need no module around them.
func TestParseRefuses(t *testing.T) {
	t.Parallel()
	deep := bytes.Repeat([]byte{0x30, 0x80}, maxNest+2)
	deep = append(deep, make([]byte, 2*(maxNest+2))...)
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"not a sequence", []byte{0x04, 0x00}},
		{"length past the end", []byte{0x30, 0x05, 0x06}},
		{"no content type", []byte{0x30, 0x00}},
		{"data, no signer", []byte{0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01}},
		{"nested past maxNest", deep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if s, ok := Parse(tc.in); ok || s != nil {
				t.Errorf("Parse(% x) = %+v, %v; want nil, false", tc.in, s, ok)
			}
		})
	}
}

// oidBig is oidText as it was written with math/big, which the binary no
// longer links: the reference for TestOIDText.
func oidBig(oid []byte) (string, bool) {
	if len(oid) == 0 || oid[len(oid)-1]&0x80 != 0 {
		return "", false
	}
	var b []byte
	first := true
	for i := 0; i < len(oid); {
		if oid[i] == 0x80 {
			return "", false
		}
		j := i
		for oid[j]&0x80 != 0 {
			j++
		}
		arc := new(big.Int)
		for _, c := range oid[i : j+1] {
			arc.Lsh(arc, 7)
			arc.Or(arc, big.NewInt(int64(c&0x7f)))
		}
		if first {
			top := int64(2)
			if arc.Cmp(big.NewInt(80)) < 0 {
				top = arc.Int64() / 40
			}
			b = append(b, byte('0'+top), '.')
			arc.Sub(arc, big.NewInt(40*top))
			first = false
		} else {
			b = append(b, '.')
		}
		b = arc.Append(b, 10)
		i = j + 1
	}
	return string(b), true
}

// TestOIDText holds oidText to the math/big reference: real digests'
// identifiers, the first arc's three cases, arcs of every length up to
// far beyond 64 bits (limbs of zeros inside), padded arcs and truncated
// contents; then random contents.
func TestOIDText(t *testing.T) {
	long := func(n int, c byte) []byte { // n continuation bytes of c, then a last one
		b := bytes.Repeat([]byte{c | 0x80}, n)
		return append(b, c&0x7f)
	}
	cases := map[string][]byte{
		"sha256":            {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01},
		"sm3":               {0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x11},
		"zero":              {0x00},
		"0.39":              {39},
		"1.0":               {40},
		"1.39":              {79},
		"2.0":               {80},
		"2.47 and 0":        {0x7f, 0x00},
		"first arc 2^63":    long(9, 0x01),
		"first arc huge":    long(30, 0x7f),
		"arc 10^9 exactly":  {0x2a, 0x83, 0xdc, 0xeb, 0x94, 0x00},
		"arc of zero limbs": append([]byte{0x2a}, append(long(12, 0x00)[:12:12], 0x01)...),
		"arcs of each size": append(append(append([]byte{0x2a}, long(1, 0x40)...), long(5, 0x11)...), long(20, 0x55)...),
		"padded":            {0x2a, 0x80, 0x01},
		"truncated":         {0x2a, 0x86},
		"empty":             {},
	}
	for name, oid := range cases {
		got, gok := oidText(oid)
		want, wok := oidBig(oid)
		if got != want || gok != wok {
			t.Errorf("%s: oidText(% x) = %q, %v; want %q, %v", name, oid, got, gok, want, wok)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		oid := make([]byte, r.IntN(40))
		for k := range oid {
			oid[k] = byte(r.IntN(256))
			if r.IntN(3) == 0 {
				oid[k] |= 0x80
			}
		}
		got, gok := oidText(oid)
		want, wok := oidBig(oid)
		if got != want || gok != wok {
			t.Fatalf("oidText(% x) = %q, %v; want %q, %v", oid, got, gok, want, wok)
		}
	}
}
