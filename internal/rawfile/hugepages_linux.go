//go:build linux

package rawfile

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of the x86-64 and arm64 transparent huge page.
const hugePage = 2 << 20

// HugeBuffer is an empty buffer of capacity n, for n bytes that are
// about to be written from end to end (a decompressed module image).
// From 4 MiB up it starts at a 2 MiB boundary and the kernel is asked
// to back its whole 2 MiB extents with transparent huge pages: one page
// fault for each 2 MiB instead of 512. That is advice, taken where the
// system's THP setting is "madvise" and already followed where it is
// "always"; a process that turned THP off (kerneld) keeps it off. The
// memory is the Go heap's, collected like any other: the up to 2 MiB
// before the boundary are never written, so never resident unless the
// heap had used them before.
func HugeBuffer(n int) []byte {
	if n < 2*hugePage {
		return make([]byte, 0, n)
	}
	raw := make([]byte, 0, n+hugePage)
	base := unsafe.Pointer(unsafe.SliceData(raw))
	off := int(-uintptr(base) & (hugePage - 1))
	b := raw[off : off : off+n]
	unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(base, off)), n&^(hugePage-1)), unix.MADV_HUGEPAGE)
	return b
}
