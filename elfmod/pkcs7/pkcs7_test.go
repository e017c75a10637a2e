package pkcs7

import (
	"bytes"
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
