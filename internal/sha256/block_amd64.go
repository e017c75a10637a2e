package sha256

import "github.com/modutils/modutils/internal/lazy"

// cpuid executes CPUID for leaf and subleaf.
//
//go:noescape
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// blockSHA runs the rounds over each 64-byte block of p with the SHA
// extensions' instructions (SHA256RNDS2, SHA256MSG1, SHA256MSG2), which
// also need SSSE3's PSHUFB and PALIGNR and SSE4.1's PBLENDW.
//
//go:noescape
func blockSHA(h *[8]uint32, p []byte)

// hasSHA is asked on the first digest, not at initialisation: CPUID
// traps to the hypervisor in a virtual machine.
var hasSHA = lazy.Value[bool]{New: func() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	_, ebx7, _, _ := cpuid(7, 0)
	const ssse3, sse41, sha = 1 << 9, 1 << 19, 1 << 29
	return ecx1&ssse3 != 0 && ecx1&sse41 != 0 && ebx7&sha != 0
}}

// usesSHA says whether block runs on the SHA instructions.
func usesSHA() bool { return hasSHA.Get() }

func block(h *[8]uint32, p []byte) {
	if hasSHA.Get() {
		blockSHA(h, p)
		return
	}
	blockGeneric(h, p)
}
