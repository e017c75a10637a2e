package xz

// On amd64 the decoding loop is assembly (lzma_amd64.s, no cgo): the
// whole of it, literals, matches, reps, the length and distance decoders
// and the match copy, with the range decoder, the position and the state
// in registers. In Go the loop spilled them around its calls into the
// bit-tree loops, and Go's compiler gives those loops about twice the
// instructions of liblzma's x86-64 assembly; on this loop of one-cycle
// instructions the count, not the dependency chain, bounds the speed.
// The Go loop stays the reference (and what other architectures run):
// the assembly returns to it at every bound it checks first, and
// TestAsmMatchesGo and FuzzDecode check the two against each other.

const haveLoop = true

// lzmaLoop decodes symbols from d.r's state until pos reaches stop, ip
// passes inLen or an error (d.r.status).
//
//go:noescape
func lzmaLoop(d *lzmaDec)
