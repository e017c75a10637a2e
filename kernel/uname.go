package kernel

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Release is the running kernel's release, uname -r, which names the
// module directory.
func Release() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", err
	}
	return unix.ByteSliceToString(u.Release[:]), nil
}

// ResidentBytes is this process's resident memory, from /proc/self/statm:
// what kerneld reports to kdstat, and what its bounds are measured by.
func ResidentBytes() (int64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, fmt.Errorf("/proc/self/statm: %q: want at least two fields", b)
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/self/statm: %w", err)
	}
	return pages * int64(os.Getpagesize()), nil
}

// NoHugePages stops the kernel from backing this process's memory (and
// its children's) with transparent huge pages. Debian's kernels set THP
// to "always": a fault in a 2 MiB-aligned stretch of a Go heap's arena
// may take a whole huge page, and khugepaged may collapse a stretch with
// few pages in use into one, resident whole however little of it the
// heap uses, which the collector's giving back then splits only until
// the next collapse. A daemon whose live heap is small wants none of it;
// a kernel without THP says EINVAL, which is no matter.
func NoHugePages() error {
	return unix.Prctl(unix.PR_SET_THP_DISABLE, 1, 0, 0, 0)
}
