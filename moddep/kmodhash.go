package moddep

import (
	"encoding/binary"
)

// kmod's shared/hash.c decides the order of depmod's output: several
// files (modules.symbols, and the module numbering behind every index
// priority) are written by walking its tables. kmod hashes a key with Paul
// Hsieh's SuperFastHash, picks bucket hash & (n-1), keeps each bucket
// sorted by strcmp, and walks the buckets in index order; sortKmodHashOrder
// reproduces that order from the sum alone. The table itself, the oracle
// its tests compare with, is in kmodhash_table_test.go.

// kmodHashSum is kmod's hash_superfast. The 16-bit loads use host byte
// order and the odd trailing bytes are sign-extended, because kmod reads
// them through a plain (signed) char on x86; on a big-endian host the sums
// match kmod built for that host.
func kmodHashSum(key string) uint32 {
	n := uint32(len(key))
	h := n
	p := 0
	u16 := func(i int) uint32 {
		if hostBigEndian() {
			return uint32(key[i])<<8 | uint32(key[i+1])
		}
		return uint32(key[i]) | uint32(key[i+1])<<8
	}
	for k := n / 4; k > 0; k-- {
		h += u16(p)
		tmp := (u16(p+2) << 11) ^ h
		h = (h << 16) ^ tmp
		p += 4
		h += h >> 11
	}
	switch n & 3 {
	case 3:
		h += u16(p)
		h ^= h << 16
		h ^= uint32(int32(int8(key[p+2]))) << 18
		h += h >> 11
	case 2:
		h += u16(p)
		h ^= h << 11
		h += h >> 17
	case 1:
		h += uint32(int32(int8(key[p])))
		h ^= h << 10
		h += h >> 1
	}
	// Final avalanche.
	h ^= h << 3
	h += h >> 5
	h ^= h << 4
	h += h >> 17
	h ^= h << 25
	h += h >> 6
	return h
}

// hostBigEndian is a function, not a variable set at initialisation: the
// compiler folds it to a constant.
func hostBigEndian() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) != 1 }
