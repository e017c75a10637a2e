//go:build !linux

package rawfile

// HugeBuffer is an empty buffer of capacity n; only Linux is asked for
// huge pages.
func HugeBuffer(n int) []byte { return make([]byte, 0, n) }
