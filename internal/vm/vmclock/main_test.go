package main

import (
	"strings"
	"testing"
)

func TestIsModuleLive(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  string
		want bool
	}{
		{"a module gone live", "add@/module/e1000\x00ACTION=add\x00DEVPATH=/module/e1000\x00SUBSYSTEM=module\x00SEQNUM=812\x00", true},
		{"udevadm trigger's", "add@/module/e1000\x00ACTION=add\x00DEVPATH=/module/e1000\x00SUBSYSTEM=module\x00SYNTH_UUID=0\x00SEQNUM=900\x00", false},
		{"a module removed", "remove@/module/e1000\x00ACTION=remove\x00DEVPATH=/module/e1000\x00SUBSYSTEM=module\x00SEQNUM=901\x00", false},
		{"a device", "add@/devices/pci0000:00/0000:00:03.0\x00ACTION=add\x00SUBSYSTEM=pci\x00MODALIAS=pci:v00008086d0000100E\x00", false},
		{"a module path without its subsystem", "add@/module/e1000\x00ACTION=add\x00", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := isModuleLive([]byte(tc.msg)); got != tc.want {
				t.Errorf("isModuleLive(%q) = %v, want %v", strings.ReplaceAll(tc.msg, "\x00", `\0`), got, tc.want)
			}
		})
	}
}
