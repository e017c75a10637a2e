package completion

import (
	"fmt"
	"io"
	"strings"

	"github.com/modutils/modutils/applets/applet/spec"
)

// Fish writes the fish completion of m, a file NAME.fish for fish's
// vendor_completions.d.
func Fish(w io.Writer, m Model) {
	var b strings.Builder
	fmt.Fprintf(&b, "# fish completion for %s, made by \"modutils completion fish %s\" from its option table.\n\n", m.Name, m.Name)
	fn := "_" + funcName(m.Name)
	// One function reads the command line before the cursor: "count"
	// prints how many operands it has, a list's kind prints the list
	// for its root and kernel version.
	fmt.Fprintf(&b, "function %s\n\tset -l root\n\tset -l kver\n\tset -l want\n\tset -l ops\n", fn)
	b.WriteString("\tset -l words (commandline -opc)\n\tset -e words[1]\n\tfor w in $words\n")
	b.WriteString("\t\tif test -n \"$want\"\n\t\t\ttest $want = root; and set root $w\n\t\t\ttest $want = kver; and set kver $w\n\t\t\tset want\n\t\t\tcontinue\n\t\tend\n\t\tswitch $w\n")
	if r := m.optionsOf(spec.Root); len(r) > 0 {
		fmt.Fprintf(&b, "\t\t\tcase %s\n\t\t\t\tset want root\n", strings.Join(r, " "))
	}
	if k := m.optionsOf(spec.KernelVersion); len(k) > 0 {
		fmt.Fprintf(&b, "\t\t\tcase %s\n\t\t\t\tset want kver\n", strings.Join(k, " "))
	}
	var others []string
	for _, o := range m.Options {
		if o.Arg && o.Value != spec.Root && o.Value != spec.KernelVersion {
			others = append(others, o.names()...)
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(&b, "\t\t\tcase %s\n\t\t\t\tset want skip\n", strings.Join(others, " "))
	}
	for _, o := range m.placeOptions() {
		if o.Short != "" {
			fmt.Fprintf(&b, "\t\t\tcase '-%s?*'\n\t\t\t\tset %s (string sub -s 3 -- $w)\n", o.Short, o.Var)
		}
		if o.Long != "" {
			fmt.Fprintf(&b, "\t\t\tcase '--%s=*'\n\t\t\t\tset %s (string replace -r '^[^=]*=' '' -- $w)\n", o.Long, o.Var)
		}
	}
	b.WriteString("\t\t\tcase '-*'\n\t\t\tcase '*'\n\t\t\t\tset -a ops $w\n\t\tend\n\tend\n")
	b.WriteString("\tif test $argv[1] = count\n\t\tcount $ops\n\t\treturn 0\n\tend\n")
	b.WriteString("\t" + Lister + " $argv[1] --root=\"$root\" --kernel=\"$kver\" -- $ops[1] 2>/dev/null\nend\n\n")

	fishOptions(&b, m.Name, m, fn, "")
	if len(m.Commands) > 0 {
		for _, c := range m.Commands {
			fmt.Fprintf(&b, "complete -c %s -n __fish_use_subcommand -f -a %s -d %s\n", m.Name, c.Name, fishQuote(c.Help))
		}
		for _, c := range m.Commands {
			fishOptions(&b, m.Name, c, fn, "-n '__fish_seen_subcommand_from "+c.Name+"' ")
		}
	} else if len(m.Operands) > 0 {
		fishOperand(&b, m, fn, "-eq 0", m.Operands[0])
		fishOperand(&b, m, fn, "-gt 0", m.Operands[len(m.Operands)-1])
		for _, o := range m.Options {
			if o.OperandsAs == spec.LoadedModule {
				fmt.Fprintf(&b, "complete -c %s -n '__fish_seen_argument -s %s -l %s' -f -a '(%s loaded)'\n", m.Name, o.Short, o.Long, fn)
			}
		}
	}
	io.WriteString(w, b.String())
}

func fishQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

func fishOptions(b *strings.Builder, name string, m Model, fn, cond string) {
	for _, o := range m.Options {
		fmt.Fprintf(b, "complete -c %s %s", name, cond)
		if o.Short != "" {
			fmt.Fprintf(b, "-s %s ", o.Short)
		}
		if o.Long != "" {
			fmt.Fprintf(b, "-l %s ", o.Long)
		}
		if o.Arg {
			switch o.Value {
			case spec.File:
				b.WriteString("-r -F ")
			case spec.Dir, spec.Root:
				b.WriteString("-x -a '(__fish_complete_directories)' ")
			case spec.KernelVersion:
				fmt.Fprintf(b, "-x -a '(%s kernels)' ", fn)
			case spec.Word:
				fmt.Fprintf(b, "-x -a %s ", fishQuote(strings.Join(o.Words, " ")))
			default:
				b.WriteString("-x ")
			}
		}
		fmt.Fprintf(b, "-d %s\n", fishQuote(o.Help))
	}
}

func fishOperand(b *strings.Builder, m Model, fn, test string, v spec.Value) {
	cond := fmt.Sprintf("-n 'test (%s count) %s' ", fn, test)
	switch v {
	case spec.Module:
		fmt.Fprintf(b, "complete -c %s %s-a '(%s modules)'\n", m.Name, cond, fn)
	case spec.LoadedModule:
		fmt.Fprintf(b, "complete -c %s %s-f -a '(%s loaded)'\n", m.Name, cond, fn)
	case spec.File:
		fmt.Fprintf(b, "complete -c %s %s-F\n", m.Name, cond)
	case spec.KernelVersion:
		fmt.Fprintf(b, "complete -c %s %s-f -a '(%s kernels)'\n", m.Name, cond, fn)
	case spec.Parameter:
		fmt.Fprintf(b, "complete -c %s %s-f -a '(%s params)'\n", m.Name, cond, fn)
	}
}
