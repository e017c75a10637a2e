package main

import (
	"testing"

	"github.com/modutils/modutils/applets/kmod"
)

// TestOptionStrings checks the option strings the specs make against
// kmod 34.2's own (tools/*.c's cmdopts_s), which the order of each
// spec's table must reproduce.
func TestOptionStrings(t *testing.T) {
	want := map[string]string{
		"depmod":   "aAb:m:o:C:E:F:evnP:wVh",
		"insmod":   "fsvVh",
		"kmod":     "+hV",
		"lsmod":    "svVh",
		"modinfo":  "adlpn0mF:k:b:Vh",
		"modprobe": "arw:RibfDcnC:d:S:sqvVh",
		"rmmod":    "fsvVh",
	}
	for _, a := range applets {
		if a.Spec == nil {
			continue
		}
		if got := a.Spec.Shorts(); got != want[a.Name] {
			t.Errorf("%s: %q, want kmod's %q", a.Name, got, want[a.Name])
		}
	}
	if got := kmod.StaticNodes.Shorts(); got != "o:f:h" {
		t.Errorf("kmod static-nodes: %q, want kmod's %q", got, "o:f:h")
	}
}
