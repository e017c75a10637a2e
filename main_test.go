package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDispatch(t *testing.T) {
	tests := []struct {
		name       string
		argv       []string
		wantCode   int
		wantStdout string // substring
		wantStderr string // substring
	}{
		{"by link name", []string{"/sbin/depmod", "-h"}, 0, "depmod -[aA] [options]", ""},
		{"by first argument", []string{"modutils", "depmod", "--help"}, 0, "Usage:\n\tdepmod -[aA]", ""},
		{"glibc quotes argv0 as called", []string{"/sbin/depmod", "-x"}, 1, "", "/sbin/depmod: invalid option -- 'x'"},
		{"kmod by link name", []string{"/usr/bin/kmod", "static-nodes", "--help"}, 0, "Usage:\n\tkmod static-nodes [options]", ""},
		{"kmod by first argument", []string{"modutils", "kmod"}, 1, "kmod - Manage kernel modules", "missing command\n"},
		{"kmod's messages quote argv0", []string{"/usr/bin/kmod", "-x"}, 1, "", "/usr/bin/kmod: invalid option -- 'x'"},
		{"no applet", []string{"modutils"}, 1, "Applets:\n  depmod\n", ""},
		{"version", []string{"modutils", "--version"}, 0, "kmod version 34.2\n", ""},
		{"man page", []string{"modutils", "man", "modprobe"}, 0, ".TH MODPROBE 8", ""},
		{"completion", []string{"modutils", "completion", "bash", "rmmod"}, 0, "complete -F _modutils_rmmod rmmod", ""},
		{"help", []string{"modutils", "--help"}, 0, "Usage: modutils APPLET", ""},
		{"unknown applet", []string{"modutils", "frob"}, 1, "", "unknown applet 'frob'"},
		{"unknown link name", []string{"/sbin/frob"}, 1, "Applets:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := dispatch(tt.argv, &stdout, &stderr, false)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want it to contain %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}
