//go:build !amd64

package xz

// Without the assembly loop, the Go loop decodes every symbol: lzmaLoop
// is never called (haveLoop is false) and exists so that both builds
// share the callers.
const haveLoop = false

func lzmaLoop(d *lzmaDec) {}
