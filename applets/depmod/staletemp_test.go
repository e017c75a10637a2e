package depmod

import (
	"regexp"
	"testing"
)

// TestStaleTemp: the hand-written parser says what the regular
// expression it replaced said.
func TestStaleTemp(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^(.+)\.([0-9]+)\.[0-9]+\.[0-9]+$`)
	for _, name := range []string{
		"modules.dep.123.456.789", "modules.dep.bin.1.2.3", "a.1.2.3", ".1.2.3", "1.2.3",
		"modules.dep.12a.4.5", "modules.dep.1.2.", "modules.dep..2.3", "modules.dep.1.2.3.4",
		"modules.dep", "", "x.y.1.2.3x", "modules.alias.bin.4242.999999.1700000000",
	} {
		t.Run(name, func(t *testing.T) {
			m := re.FindStringSubmatch(name)
			got, pid, ok := staleTemp(name)
			if ok != (m != nil) || ok && (got != m[1] || pid != m[2]) {
				t.Errorf("staleTemp(%q) = %q, %q, %v; the regexp says %q", name, got, pid, ok, m)
			}
		})
	}
}
