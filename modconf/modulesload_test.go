package modconf

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestModulesToLoad(t *testing.T) {
	t.Parallel()
	type file struct{ path, text string }
	tests := []struct {
		name    string
		files   []file
		links   []file // path -> target
		cmdline string
		want    []string // "NAME PARAMS@SOURCE"
	}{
		{
			name: "dirs by file name; the first directory wins a name; comments",
			files: []file{
				{"/usr/lib/modules-load.d/b.conf", "from-usr-b\n"},
				{"/etc/modules-load.d/b.conf", "# mine\n; also a comment\n\n  from-etc-b  \n"},
				{"/run/modules-load.d/a.conf", "from-run-a\n"},
				{"/usr/lib/modules-load.d/c.conf", "from-usr-c\n"},
				{"/usr/lib/modules-load.d/d.txt", "not-a-conf\n"},
			},
			want: []string{"from-run-a@/run/modules-load.d/a.conf:1", "from-etc-b@/etc/modules-load.d/b.conf:4", "from-usr-c@/usr/lib/modules-load.d/c.conf:1"},
		},
		{
			name:  "a link to /dev/null masks a packaged file",
			files: []file{{"/usr/lib/modules-load.d/x.conf", "masked\n"}},
			links: []file{{"/etc/modules-load.d/x.conf", "/dev/null"}},
			want:  nil,
		},
		{
			name:    "the kernel command line first, either spelling",
			files:   []file{{"/etc/modules-load.d/a.conf", "fromfile\n"}},
			cmdline: `quiet modules_load=one,two modules-load="three" rd.modules_load=initrd-only`,
			want:    []string{"one@kernel command line", "two@kernel command line", "three@kernel command line", "fromfile@/etc/modules-load.d/a.conf:1"},
		},
		{
			name:    "rd.modules_load in an initramfs",
			files:   []file{{"/etc/initrd-release", ""}},
			cmdline: "rd.modules_load=early",
			want:    []string{"early@kernel command line"},
		},
		{
			name:  "Debian's /etc/modules, with parameters",
			files: []file{{"/etc/modules", "# /etc/modules\nloop max_loop=8\nlp\nparport_pc\tio=0x378  irq=7 \n"}},
			want:  []string{"loop max_loop=8@/etc/modules:2", "lp@/etc/modules:3", "parport_pc io=0x378  irq=7@/etc/modules:4"},
		},
		{
			name:  "/etc/modules read once when modules-load.d links to it",
			files: []file{{"/etc/modules", "dummy\n"}},
			links: []file{{"/etc/modules-load.d/modules.conf", "../modules"}},
			want:  []string{"dummy@/etc/modules-load.d/modules.conf:1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range tc.files {
				os.MkdirAll(filepath.Dir(root+f.path), 0o755)
				os.WriteFile(root+f.path, []byte(f.text), 0o644)
			}
			for _, l := range tc.links {
				os.MkdirAll(filepath.Dir(root+l.path), 0o755)
				target := l.text
				if target == "/dev/null" {
					os.MkdirAll(root+"/dev", 0o755)
					os.WriteFile(root+"/dev/null", nil, 0o644)
					target = root + "/dev/null"
				}
				os.Symlink(target, root+l.path)
			}
			var got []string
			for _, m := range ModulesToLoad(root, tc.cmdline, nil) {
				s := m.Name
				if m.Params != "" {
					s += " " + m.Params
				}
				got = append(got, s+"@"+m.Source)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
