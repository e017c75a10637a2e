package depmod

import (
	"crypto/md5"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modutils/modutils/internal/debtree"
)

// TestFullDisk runs our depmod with -o into a tmpfs that is already full,
// over the files of an earlier run: it must fail with kmod's words and
// exit 1, leave every old file as it was and no temporary file behind.
// The tmpfs is mounted in a private mount namespace (unshare -m), which
// proves the same as the VM would, in milliseconds; it needs root, which
// CI has.
func TestFullDisk(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		debtree.Missing(t, "mounting a tmpfs needs root")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		debtree.Missing(t, "unshare (util-linux) is not installed")
	}
	bin := modutilsBinary(t)
	root := baseTree().write(t)
	ref := t.TempDir()
	if out, err := exec.Command(bin, "depmod", "-b", root, "-o", ref, fixtureVersion).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	old := snapshot(t, filepath.Join(ref, md))
	// The tree changes, so that a complete run would change the files.
	if err := os.WriteFile(filepath.Join(root, md, "kernel/fs/new.ko"), mod([]string{"alias=fs-new"}, []string{"new_fn"}), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	// Inside the namespace: mount, put the old files in, fill the rest
	// of the filesystem, run depmod, and list what is left.
	script := `set -e
mount -t tmpfs -o size=256k tmpfs "$OUT"
mkdir -p "$OUT/$MD"
cp -p "$REF/$MD"/modules.* "$OUT/$MD"/
dd if=/dev/zero of="$OUT/filler" bs=4k 2>/dev/null || true
set +e
msg=$("$BIN" depmod -b "$ROOT" -o "$OUT" "$KV" 2>&1)
echo "exit $?"
echo "$msg"
cd "$OUT/$MD" && for f in *; do echo "file $f $(md5sum <"$f" | cut -d' ' -f1)"; done
`
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "OUT="+out, "REF="+ref, "MD="+md, "BIN="+bin, "ROOT="+root, "KV="+fixtureVersion)
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("unshare: %v\n%s", err, got)
	}
	want := []string{"exit 1", "depmod: ERROR: Could not create index 'modules.dep'. Output is truncated: No space left on device"}
	for name, data := range old {
		want = append(want, fmt.Sprintf("file %s %x", name, md5.Sum(data)))
	}
	gotLines := strings.Split(strings.TrimSpace(string(got)), "\n")
	slices.Sort(gotLines[2:]) // the files, after the exit code and message
	slices.Sort(want[2:])
	if !slices.Equal(gotLines, want) {
		t.Errorf("depmod into a full tmpfs:\n got: %s\nwant: %s", strings.Join(gotLines, "\n      "), strings.Join(want, "\n      "))
	}
}
