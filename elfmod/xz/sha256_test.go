package xz

import (
	"crypto/sha256"
	"testing"
)

// TestSHA256 compares our SHA-256 with crypto/sha256 at every length
// around the block and padding boundaries.
func TestSHA256(t *testing.T) {
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(i*7 + 3)
	}
	for n := 0; n <= len(data); n++ {
		if got, want := sha256Sum(data[:n]), sha256.Sum256(data[:n]); got != want {
			t.Errorf("length %d: got %x, want %x", n, got, want)
		}
	}
}
