package modconf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modutils/modutils/internal/diag"
)

// FuzzDepmodConfig feeds arbitrary depmod.d files to LoadDepmodConfig,
// through a real file as depmod -C gives it. The configuration is
// root's, so hostile input is not the threat; a typo or a binary file
// dropped into depmod.d must still never panic or hang depmod.
func FuzzDepmodConfig(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/depmod/*.conf")
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "6.1.0-test")
	}
	f.Add([]byte("override a (((((((((((a*)*)*)*)*)*)*)*)*)*)* kernel\n"), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	f.Add([]byte("search "+strings.Repeat("x ", 4096)+"\n"), "1")
	f.Add([]byte("\\"), "")
	f.Fuzz(func(t *testing.T, data []byte, kversion string) {
		start := time.Now()
		cfg := &DepmodConfig{}
		cfg.parse(bytes.NewReader(data), "fuzz.conf", kversion, diag.Discard)
		cfg.finish()
		// Parsing is linear: anything slow here is a hang in the making.
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%d bytes took %v", len(data), d)
		}
		if len(cfg.Searches) == 0 {
			t.Error("no search entries: the default \"updates\" is missing")
		}
		for _, o := range cfg.Overrides {
			if !strings.Contains(o.Path, "/") {
				t.Errorf("override path %q has no SUBDIR/", o.Path)
			}
		}
	})
}
