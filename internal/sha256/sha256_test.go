package sha256

import (
	stdsha256 "crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestKnownAnswers holds Sum256 to FIPS 180-4's examples (the appendix's
// one- and two-block messages) and the empty message's digest.
func TestKnownAnswers(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"two blocks", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
			"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Sum256([]byte(tc.in))
			if h := hex.EncodeToString(got[:]); h != tc.want {
				t.Errorf("Sum256(%q) = %s, want %s", tc.in, h, tc.want)
			}
		})
	}
}

// TestAgainstStdlib compares every length up to a few blocks past the
// padding's two cases, and longer random inputs, with crypto/sha256:
// through block (the SHA extensions where the CPU has them) and through
// the rounds in Go.
func TestAgainstStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 1<<16)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	lengths := []int{}
	for n := 0; n <= 4*BlockSize+1; n++ {
		lengths = append(lengths, n)
	}
	for range 50 {
		lengths = append(lengths, r.IntN(len(data)))
	}
	lengths = append(lengths, len(data))
	for _, n := range lengths {
		want := stdsha256.Sum256(data[:n])
		if got := Sum256(data[:n]); got != want {
			t.Fatalf("Sum256 of %d bytes = %x, want %x", n, got, want)
		}
		if got := sumGeneric(data[:n]); got != want {
			t.Fatalf("rounds in Go, %d bytes: %x, want %x", n, got, want)
		}
	}
	t.Logf("SHA instructions: %v", usesSHA())
}

// sumGeneric is Sum256 through blockGeneric alone.
func sumGeneric(data []byte) [Size]byte { return sum(data, blockGeneric) }

// FuzzSum256 holds Sum256 to crypto/sha256 on any input.
func FuzzSum256(f *testing.F) {
	for _, s := range []string{"", "abc", string(make([]byte, 55)), string(make([]byte, 56)), string(make([]byte, 64)), string(make([]byte, 119))} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := Sum256(data), stdsha256.Sum256(data); got != want {
			t.Fatalf("Sum256(%x) = %x, want %x", data, got, want)
		}
	})
}

func BenchmarkSum256(b *testing.B) {
	data := make([]byte, 1<<20)
	b.Run("ours", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			Sum256(data)
		}
	})
	b.Run("go", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			sumGeneric(data)
		}
	})
	b.Run("crypto/sha256", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			stdsha256.Sum256(data)
		}
	})
}
