package rawfile

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

func TestHugeBuffer(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		// huge: the buffer must start on a 2 MiB boundary, in a mapping
		// advised for huge pages. A smaller buffer is a plain allocation,
		// which may still fall on a boundary by chance: nothing is said
		// of its address.
		huge bool
	}{
		{"empty", 0, false},
		{"small", 1000, false},
		{"below 4 MiB", 4<<20 - 1, false},
		{"4 MiB", 4 << 20, true},
		{"btrfs-sized", 4909703 + 512, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := HugeBuffer(tc.n)
			if len(b) != 0 || cap(b) != tc.n {
				t.Fatalf("len, cap = %d, %d; want 0, %d", len(b), cap(b), tc.n)
			}
			if tc.n == 0 {
				return
			}
			b = b[:tc.n]
			for i := range b {
				if b[i] != 0 {
					t.Fatalf("byte %d is %#x, want 0", i, b[i])
				}
			}
			b[0], b[tc.n-1] = 1, 1
			if !tc.huge {
				return
			}
			addr := uintptr(unsafe.Pointer(&b[0]))
			if addr%hugePage != 0 {
				t.Errorf("buffer at %#x: not on a 2 MiB boundary", addr)
			}
			if runtime.GOOS == "linux" {
				if flags := vmFlags(t, addr); !strings.Contains(" "+flags+" ", " hg ") {
					t.Errorf("mapping of %#x has VmFlags %q, want hg (MADV_HUGEPAGE)", addr, flags)
				}
			}
		})
	}
}

// vmFlags is the VmFlags line of the mapping that holds addr.
func vmFlags(t *testing.T, addr uintptr) string {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := false
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &lo, &hi); n == 2 {
			in = lo <= addr && addr < hi
			continue
		}
		if rest, ok := strings.CutPrefix(line, "VmFlags:"); ok && in {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return ""
}
