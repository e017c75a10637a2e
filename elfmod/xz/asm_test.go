package xz

import (
	"math/rand/v2"
	"testing"
)

// TestAsmMatchesGo runs tree and matchedLiteral (assembly on amd64) and
// their Go versions from the same random states, probabilities and input,
// and wants the same symbols, range decoder states and probabilities.
func TestAsmMatchesGo(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	var in chunkIn
	for i := range in {
		in[i] = byte(r.Uint32())
	}
	randProbs := func(p []uint16) {
		for i := range p {
			p[i] = uint16(31 + r.IntN(2048-62))
		}
	}
	var a, g [0x400]uint16
	for i := range 20000 {
		randProbs(a[:])
		g = a
		rng := uint32(1<<24 + r.Uint32N(0xffffffff-1<<24))
		code := r.Uint32N(rng)
		ip := r.IntN(1 << 16)
		var s1, r1, c1, s2, r2, c2 uint32
		var ip1, ip2 int
		kind := "tree"
		switch i % 3 {
		case 0:
			s1, r1, c1, ip1 = tree(&a[0], 0x100, rng, code, &in, ip)
			s2, r2, c2, ip2 = treeGo(&g[0], 0x100, rng, code, &in, ip)
		case 1:
			s1, r1, c1, ip1 = tree(&a[0], 64, rng, code, &in, ip)
			s2, r2, c2, ip2 = treeGo(&g[0], 64, rng, code, &in, ip)
		default:
			kind = "matchedLiteral"
			m := r.Uint32N(256)
			s1, r1, c1, ip1 = matchedLiteral(&a, m, rng, code, &in, ip)
			s2, r2, c2, ip2 = matchedLiteralGo(&g, m, rng, code, &in, ip)
		}
		if s1 != s2 || r1 != r2 || c1 != c2 || ip1 != ip2 {
			t.Fatalf("%s, case %d: got %#x %#x %#x %d, want %#x %#x %#x %d", kind, i, s1, r1, c1, ip1, s2, r2, c2, ip2)
		}
		if a != g {
			t.Fatalf("%s, case %d: probabilities differ", kind, i)
		}
	}
}
