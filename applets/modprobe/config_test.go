package modprobe

import (
	"os"
	"path/filepath"
	"testing"
)

// confDir writes modprobe.d files into a fresh directory.
func confDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestConfigAgainstKmod resolves names on Debian's tree under a
// configuration that uses every directive, and compares with kmod.
func TestConfigAgainstKmod(t *testing.T) {
	t.Parallel()
	root, version, _ := debianTree(t)
	conf := confDir(t, map[string]string{
		"a.conf": `# every directive
alias my-fs btrfs
alias my-wild* xfs
alias my-wild-2 ext4
alias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000
options btrfs foo=1 bar="x y"
options btrfs baz=2
options my-fs via_alias=1
options xor
install dummy /bin/echo installing dummy $CMDLINE_OPTS
install fakemod /bin/true
remove dummy /bin/echo removing dummy
softdep xfs pre: crc32c_generic libcrc32c post: dummy
softdep btrfs pre: nonexistent_soft
blacklist e1000
blacklist snd_hda_intel
`,
		"b.conf": "alias net-pf-99 dummy\nalias sym-alias symbol:raid6_call\nbogus directive here\noptions\ninstall\nsoftdep raid6_pq post:\n",
		"c.conf": "options e1000 copybreak=64 \\\n  TxDescriptors=80\n",
	})
	base := []string{"-C", conf, "-d", root, "-S", version}
	names := []string{"my-fs", "my-wild-1", "my-wild-2", "btrfs", "xfs", "dummy", "fakemod", "e1000",
		"pci:v00008086d000010D3sv00001234sd00005678bc02sc00i00", "net-pf-99", "sym-alias", "raid6_pq", "snd-hda-intel", "snd_hda_intel"}
	for _, n := range names {
		for _, mode := range [][]string{{"-R"}, {"-D"}, {"-n", "-v"}, {"-n", "-v", "-i"}, {"-n", "-v", "-b"}, {"-r", "-n", "-v"}} {
			args := append(append(append([]string{}, base...), mode...), n)
			compare(t, args, runOurs(t, args...), runKmod(t, args...))
		}
	}
	args := append(append([]string{}, base...), "-c")
	compare(t, args, runOurs(t, args...), runKmod(t, args...))
}
