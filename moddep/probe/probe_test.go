package probe

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modutils/modutils/modconf"
	"github.com/modutils/modutils/moddep"
)

// tree is a module directory: a needs b, b needs c; d and e stand
// alone; bi is built in; "alias x a" style aliases come from modules.alias.
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	dep := map[string]string{
		"a": "kernel/a.ko: kernel/b.ko kernel/c.ko",
		"b": "kernel/b.ko: kernel/c.ko",
		"c": "kernel/c.ko:",
		"d": "kernel/d.ko:",
		"e": "kernel/e.ko:",
	}
	index := func(name string, kv map[string]string) {
		w := moddep.NewIndexWriter()
		keys := make([]string, 0, len(kv))
		for k := range kv {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if _, err := w.Insert(k, kv[k], 0); err != nil {
				t.Fatal(err)
			}
		}
		data, err := w.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	index("modules.dep.bin", dep)
	index("modules.alias.bin", map[string]string{"pci:v1*": "d", "twin": "e"})
	index("modules.symbols.bin", map[string]string{})
	index("modules.builtin.alias.bin", map[string]string{})
	index("modules.builtin.bin", map[string]string{"bi": ""})
	os.MkdirAll(filepath.Join(dir, "kernel"), 0o755)
	for n := range dep {
		os.WriteFile(filepath.Join(dir, "kernel", n+".ko"), nil, 0o644)
	}
	return dir
}

type holders map[string][]string

func (h holders) Holders(name string) ([]string, error) { return h[name], nil }

func planner(t *testing.T, dir, conf string, live []string, flags Flags) *Planner {
	t.Helper()
	c := &modconf.Config{}
	c.Parse(strings.NewReader(conf), "t.conf", nil)
	r := moddep.NewResolver(dir, c)
	r.State = func(name string) (moddep.State, error) {
		if slices.Contains(live, name) {
			return moddep.Live, nil
		}
		return 0, fs.ErrNotExist
	}
	r.LoadResources()
	t.Cleanup(func() { r.Close() })
	return &Planner{R: r, Kernel: holders{"c": {"a", "b"}}, Flags: flags}
}

// format is a plan as one line per step: action, module, what it takes,
// and how it counts.
func format(dir string, p Plan) []string {
	var out []string
	for _, tg := range p.Targets {
		for _, s := range tg.Steps {
			l := s.Action.String() + " " + s.Module
			if s.Path != "" {
				l += " " + strings.TrimPrefix(s.Path, dir+"/")
			}
			if s.Command != "" {
				l += " `" + s.Command + "`"
			}
			if s.Options != "" {
				l += " [" + s.Options + "]"
			}
			if s.Builtin {
				l += " builtin"
			}
			if s.Required {
				l += " required"
			}
			if s.Target {
				l += " target"
			}
			out = append(out, l+" ("+s.Reason+")")
		}
	}
	return out
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := tree(t)
	tests := []struct {
		name, conf, request, extra string
		live                       []string
		flags                      Flags
		want                       []string
		wantErr                    error
	}{
		{name: "dependencies first", request: "a", want: []string{
			"insmod c kernel/c.ko required (dependency of a)",
			"insmod b kernel/b.ko required (dependency of a)",
			"insmod a kernel/a.ko required target (asked for)"}},
		{name: "loaded dependency", request: "a", live: []string{"c"}, want: []string{
			"loaded c required (dependency of a: live)",
			"insmod b kernel/b.ko required (dependency of a)",
			"insmod a kernel/a.ko required target (asked for)"}},
		{name: "loaded target", request: "b", live: []string{"b"}, want: []string{
			"loaded b required target (asked for: live)"}},
		{name: "-D ignores what is loaded", request: "b", live: []string{"b", "c"}, flags: Flags{IgnoreLoaded: true}, want: []string{
			"insmod c kernel/c.ko required (dependency of b)",
			"insmod b kernel/b.ko required target (asked for)"}},
		{name: "softdeps are soft", request: "c", conf: "softdep c pre: d post: e\n", want: []string{
			"insmod d kernel/d.ko (softdep of c)",
			"insmod c kernel/c.ko required target (asked for)",
			"insmod e kernel/e.ko (softdep of c)"}},
		{name: "-i drops softdeps and commands", request: "c", conf: "softdep c pre: d\ninstall c /bin/true\n", flags: Flags{IgnoreCommands: true}, want: []string{
			"insmod c kernel/c.ko required target (asked for)"}},
		{name: "install command", request: "c", conf: "install c /sbin/modprobe --ignore-install c $CMDLINE_OPTS\n", want: []string{
			"install c `/sbin/modprobe --ignore-install c $CMDLINE_OPTS` required target (asked for)"}},
		{name: "softdeps win over the install command", request: "c", conf: "install c /bin/true\nsoftdep c post: e\n", want: []string{
			"insmod c kernel/c.ko required target (asked for)",
			"insmod e kernel/e.ko (softdep of c)"}},
		{name: "options, configured then given", request: "c", extra: "y=2", conf: "options c x=1\noptions b z=3\n", want: []string{
			"insmod c kernel/c.ko [x=1 y=2] required target (asked for)"}},
		// kmod's module_options_concat adds the space whatever follows.
		{name: "given options are the target's only", request: "b", extra: "y=2", conf: "options c x=1\n", want: []string{
			"insmod c kernel/c.ko [x=1 ] required (dependency of b)",
			"insmod b kernel/b.ko [y=2] required target (asked for)"}},
		{name: "an alias", request: "pci:v1234", want: []string{
			"insmod d kernel/d.ko required target (asked for as pci:v1234)"}},
		{name: "a blacklisted alias", request: "twin", conf: "blacklist e\n", want: []string{
			"blacklisted e target (blacklisted)"}},
		{name: "a blacklisted name needs -b", request: "e", conf: "blacklist e\n", want: []string{
			"insmod e kernel/e.ko required target (asked for)"}},
		{name: "-b blacklists names", request: "e", conf: "blacklist e\n", flags: Flags{UseBlacklist: true}, want: []string{
			"blacklisted e target (blacklisted)"}},
		{name: "builtin", request: "bi", flags: Flags{IgnoreLoaded: true}, want: []string{
			"insmod bi builtin required target (asked for)"}},
		{name: "builtin is loaded", request: "bi", want: []string{
			"loaded bi required target (asked for: builtin)"}},
		{name: "not found", request: "nosuch", wantErr: ErrNotFound},
		{name: "a missing path", request: "/nonexistent/x.ko", wantErr: fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := planner(t, dir, tc.conf, tc.live, tc.flags)
			plan, err := p.Load(tc.request, tc.extra)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if got := format(dir, plan); !slices.Equal(got, tc.want) {
				t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func formatRemoval(r Removal) string {
	s := r.Module
	var flags []string
	if r.HasCommand {
		flags = append(flags, "`"+r.Command+"`")
	}
	if r.Builtin {
		flags = append(flags, "builtin")
	}
	if r.CheckState {
		flags = append(flags, "check")
	}
	if r.IgnoreBuiltin {
		flags = append(flags, "ignore-builtin")
	}
	if len(r.Post) > 0 {
		flags = append(flags, "post="+strings.Join(r.Post, ","))
	}
	if r.Holders {
		flags = append(flags, "holders")
	}
	if r.Deps {
		flags = append(flags, "deps")
	}
	if len(r.Pre) > 0 {
		flags = append(flags, "pre="+strings.Join(r.Pre, ","))
	}
	if len(flags) > 0 {
		s += " " + strings.Join(flags, " ")
	}
	return s + " (" + r.Reason + ")"
}

func TestRemove(t *testing.T) {
	t.Parallel()
	dir := tree(t)
	tests := []struct {
		name, conf, request string
		flags               Flags
		want                []string
		wantErr             error
	}{
		{name: "with its dependencies", request: "a", want: []string{"a check deps (asked for)"}},
		{name: "remove command", request: "a", conf: "remove a /bin/true\n", want: []string{"a `/bin/true` (asked for)"}},
		{name: "-i ignores it", request: "a", conf: "remove a /bin/true\n", flags: Flags{IgnoreCommands: true}, want: []string{"a check deps (asked for)"}},
		{name: "softdeps in reverse", request: "c", conf: "softdep c pre: d e post: e d\n",
			want: []string{"c check post=d,e deps pre=e,d (asked for)"}},
		{name: "holders", request: "c", flags: Flags{RemoveHolders: true}, want: []string{"c check holders deps (asked for)"}},
		{name: "builtin", request: "bi", want: []string{"bi builtin check deps (asked for)"}},
		{name: "-D plans without checks", request: "e", flags: Flags{IgnoreLoaded: true}, want: []string{"e deps (asked for)"}},
		{name: "an alias", request: "twin", want: []string{"e check deps (asked for)"}},
		{name: "not found", request: "nosuch", wantErr: ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := planner(t, dir, tc.conf, nil, tc.flags)
			plan, err := p.Remove(tc.request)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			var got []string
			for _, r := range plan.Removals {
				got = append(got, formatRemoval(r))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestRemovalParts: what a removal leaves to be planned when its turn
// comes.
func TestRemovalParts(t *testing.T) {
	t.Parallel()
	dir := tree(t)
	p := planner(t, dir, "softdep d post: e\nremove e /bin/true\n", nil, Flags{})
	if got, want := formatRemoval(p.Softdep("d", "c")), "d check ignore-builtin post=e deps (softdep of c)"; got != want {
		t.Errorf("softdep: %q, want %q", got, want)
	}
	if got, want := formatRemoval(p.Softdep("e", "d")), "e `/bin/true` ignore-builtin (softdep of d)"; got != want {
		t.Errorf("softdep with a command: %q, want %q", got, want)
	}
	var holders []string
	for _, h := range p.Holders("c") {
		holders = append(holders, formatRemoval(h))
	}
	if want := []string{"b check ignore-builtin deps (holder of c)", "a check ignore-builtin deps (holder of c)"}; !slices.Equal(holders, want) {
		t.Errorf("holders %q, want %q", holders, want)
	}
	if got, want := p.Deps("a"), []string{"c", "b"}; !slices.Equal(got, want) {
		t.Errorf("deps %q, want %q", got, want)
	}
}

func TestUnload(t *testing.T) {
	t.Parallel()
	dir := tree(t)
	tests := []struct {
		name, conf, module, want string
	}{
		{"delete_module, softdeps left alone", "softdep a pre: d post: e\n", "a", "a (idle)"},
		{"dashes", "", "snd-foo", "snd_foo (idle)"},
		{"remove command", "remove a echo $MODPROBE_MODULE\n", "a", "a `echo $MODPROBE_MODULE` (idle)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := formatRemoval(planner(t, dir, tc.conf, nil, Flags{}).Unload(tc.module)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestConcurrentPlans: one resolver serves plans from many goroutines at
// once (kerneld's loads share one); go test -race checks it.
func TestConcurrentPlans(t *testing.T) {
	t.Parallel()
	dir := tree(t)
	p := planner(t, dir, "softdep c pre: d post: e\noptions b x=1\n", []string{"e"}, Flags{})
	want := map[string][]string{}
	names := []string{"a", "b", "c", "pci:v1234", "twin"}
	for _, n := range names {
		plan, err := p.Load(n, "")
		if err != nil {
			t.Fatal(err)
		}
		want[n] = format(dir, plan)
	}
	// A fresh resolver, so that what the goroutines learn they learn
	// at the same time.
	p = planner(t, dir, "softdep c pre: d post: e\noptions b x=1\n", []string{"e"}, Flags{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := names[i%len(names)]
			plan, err := p.Load(n, "")
			if err != nil {
				errs <- err
				return
			}
			if got := format(dir, plan); !slices.Equal(got, want[n]) {
				errs <- fmt.Errorf("%s: %q, want %q", n, got, want[n])
			}
			if _, err := p.Remove(n); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestPlanPassesABlockedStateRead: the resolver's lock is not held
// while a plan asks the kernel for a module's state (a read of /sys
// that may wait): a plan blocked there leaves the shared resolver to
// other plans, lookups and probe lists, which finish meanwhile.
func TestPlanPassesABlockedStateRead(t *testing.T) {
	t.Parallel()
	dir := tree(t)
	p := planner(t, dir, "softdep c pre: d post: e\n", nil, Flags{})
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	p.R.State = func(name string) (moddep.State, error) {
		if name == "a" {
			once.Do(func() {
				entered <- struct{}{}
				<-release
			})
		}
		return 0, fs.ErrNotExist
	}
	blocked := make(chan error)
	go func() {
		_, err := p.Load("a", "")
		blocked <- err
	}()
	<-entered
	for _, n := range []string{"b", "c", "pci:v1234", "twin", "bi"} {
		plan, err := p.Load(n, "")
		if err != nil || len(plan.Targets) == 0 {
			t.Errorf("%s while a's state is read: %v, %+v", n, err, plan)
		}
	}
	close(release)
	if err := <-blocked; err != nil {
		t.Errorf("a: %v", err)
	}
}
