package kmod

import (
	"strings"
	"testing"

	"github.com/modutils/modutils/moddep/devname"
)

// TestFormatDoc holds static-nodes' --format words and text, spelt out
// in spec.go, to devname.Formats.
func TestFormatDoc(t *testing.T) {
	var names, docs []string
	for _, f := range devname.Formats {
		names = append(names, f.Name)
		docs = append(docs, "\\fB"+f.Name+"\\fR, "+strings.TrimSuffix(f.Description, "."))
	}
	if got, want := strings.Join(formatWords, " "), strings.Join(names, " "); got != want {
		t.Errorf("formatWords = %q, want %q", got, want)
	}
	if want := "Write FORMAT: " + strings.Join(docs, "; ") + "."; formatOptionDoc != want {
		t.Errorf("formatOptionDoc = %q, want %q", formatOptionDoc, want)
	}
}
