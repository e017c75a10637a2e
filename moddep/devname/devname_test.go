package devname

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestParse: lines as static-nodes' fgets and sscanf("%s %s %c%u:%u")
// see them; the differential tests in applets/kmod compare the same
// files with kmod 34.2.
func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		nodes []Node
		bad   []string
	}{
		{"debian", "# Device nodes to trigger on-demand module loading.\ntun net/tun c10:200\nloop loop-control c10:237\n",
			[]Node{{"tun", "net/tun", 'c', 10, 200}, {"loop", "loop-control", 'c', 10, 237}}, nil},
		{"block", "floppy fd0 b2:0\n", []Node{{"floppy", "fd0", 'b', 2, 0}}, nil},
		{"white space", " a \t b\v c1 :2\n", nil, []string{" a \t b\v c1 :2\n"}},
		{"white space where scanf skips it", "a\tb  c 1: 2 trailing\n", []Node{{"a", "b", 'c', 1, 2}}, nil},
		{"signs", "a b c+1:-1\n", []Node{{"a", "b", 'c', 1, 4294967295}}, nil},
		{"wide numbers", "a b c4294967297:99999999999999999999999\n", []Node{{"a", "b", 'c', 1, 4294967295}}, nil},
		{"bad type", "a b x1:2\n", nil, []string{"a b x1:2\n"}},
		{"blank", "\n", nil, []string{"\n"}},
		{"short", "a b\n", nil, []string{"a b\n"}},
		{"no minor", "a b c1:\n", nil, []string{"a b c1:\n"}},
		{"no final newline", "a b c1:2", []Node{{"a", "b", 'c', 1, 2}}, nil},
		{"comment only at the start", " # x\n", nil, []string{" # x\n"}},
		{"nul", "a\x00 b c1:2\n", nil, []string{"a"}},
		{"long line in pieces", strings.Repeat("x", 4095) + " b c1:2\n", nil,
			[]string{strings.Repeat("x", 4095), " b c1:2\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var bad []string
			nodes := Parse(strings.NewReader(tc.in), func(l string) { bad = append(bad, l) })
			if !slices.Equal(nodes, tc.nodes) {
				t.Errorf("nodes %+v, want %+v", nodes, tc.nodes)
			}
			if !slices.Equal(bad, tc.bad) {
				t.Errorf("bad lines %q, want %q", bad, tc.bad)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	nodes := []Node{{"tun", "net/tun", 'c', 10, 200}, {"floppy", "fd0", 'b', 2, 0}}
	want := map[string]string{
		"human": "Module: tun\n\tDevice node: /dev/net/tun\n\t\tType: character device\n\t\tMajor: 10\n\t\tMinor: 200\n" +
			"Module: floppy\n\tDevice node: /dev/fd0\n\t\tType: block device\n\t\tMajor: 2\n\t\tMinor: 0\n",
		"tmpfiles": "d /dev/net 0755 - - -\nc! /dev/net/tun 0600 - - - 10:200\nb! /dev/fd0 0600 - - - 2:0\n",
		"devname":  "tun net/tun c10:200\nfloppy fd0 b2:0\n",
	}
	for _, f := range Formats {
		var b bytes.Buffer
		for _, n := range nodes {
			if err := f.Write(&b, n); err != nil {
				t.Fatal(err)
			}
		}
		if b.String() != want[f.Name] {
			t.Errorf("%s:\n got %q\nwant %q", f.Name, b.String(), want[f.Name])
		}
	}
	if _, ok := FindFormat("Human"); ok {
		t.Errorf("format names are case-sensitive, as kmod's")
	}
}

func TestNode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n                  Node
		path, dir, request string
	}{
		{Node{"tun", "net/tun", 'c', 10, 200}, "/dev/net/tun", "/dev/net", "char-major-10-200"},
		{Node{"loop", "loop-control", 'c', 10, 237}, "/dev/loop-control", "", "char-major-10-237"},
		{Node{"floppy", "fd0", 'b', 2, 0}, "/dev/fd0", "", "block-major-2-0"},
		{Node{"snd_timer", "snd/seq/timer", 'c', 116, 33}, "/dev/snd/seq/timer", "/dev/snd/seq", "char-major-116-33"},
	}
	for _, tc := range tests {
		if p, d, r := tc.n.Path(), tc.n.Dir(), tc.n.Request(); p != tc.path || d != tc.dir || r != tc.request {
			t.Errorf("%+v: %q %q %q, want %q %q %q", tc.n, p, d, r, tc.path, tc.dir, tc.request)
		}
	}
}
