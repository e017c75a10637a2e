package xz

// The range decoder's two hottest loops in assembly (lzma_amd64.s): Go's
// compiler gives them about twice the instructions of liblzma's x86-64
// assembly, and on this loop of one-cycle instructions the count, not
// the dependency chain, bounds the speed. lzma_other.go runs the Go
// versions, which TestAsmMatchesGo checks these against.

// tree is treeGo. probs has 2*lim entries.
//
//go:noescape
func tree(probs *uint16, lim, rng, code uint32, in *chunkIn, ip int) (sym, rng2, code2 uint32, ip2 int)

// matchedLiteral is matchedLiteralGo.
//
//go:noescape
func matchedLiteral(probs *[0x400]uint16, match, rng, code uint32, in *chunkIn, ip int) (sym, rng2, code2 uint32, ip2 int)
