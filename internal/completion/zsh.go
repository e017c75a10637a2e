package completion

import (
	"fmt"
	"io"
	"strings"

	"github.com/modutils/modutils/applets/applet/spec"
)

// Zsh writes the zsh completion of m, a file _NAME for a directory of
// $fpath (Debian's /usr/share/zsh/vendor-completions).
func Zsh(w io.Writer, m Model) {
	var b strings.Builder
	fmt.Fprintf(&b, "#compdef %s\n# zsh completion for %s, made by \"modutils completion zsh %s\" from its option table.\n\n", m.Name, m.Name, m.Name)
	ctx := funcName(m.Name, "ctx")
	// What the options before the cursor say: the root and the kernel
	// version the lists are read for.
	fmt.Fprintf(&b, "%s() {\n\tlocal i w\n\troot= kver=\n\tfor ((i = 2; i < CURRENT; i++)); do\n\t\tw=$words[i]\n\t\tcase $w in\n", ctx)
	if r := m.optionsOf(spec.Root); len(r) > 0 {
		fmt.Fprintf(&b, "\t\t(%s) root=$words[i+1] ;;\n", pattern(r))
	}
	if k := m.optionsOf(spec.KernelVersion); len(k) > 0 {
		fmt.Fprintf(&b, "\t\t(%s) kver=$words[i+1] ;;\n", pattern(k))
	}
	for _, o := range m.placeOptions() {
		if o.Short != "" {
			fmt.Fprintf(&b, "\t\t(-%s?*) %s=${w#-%s} ;;\n", o.Short, o.Var, o.Short)
		}
		if o.Long != "" {
			fmt.Fprintf(&b, "\t\t(--%s=*) %s=${w#*=} ;;\n", o.Long, o.Var)
		}
	}
	b.WriteString("\t\tesac\n\tdone\n}\n\n")
	list := funcName(m.Name, "list")
	fmt.Fprintf(&b, "%s() {\n\tlocal root kver kind=$1\n\tshift\n\t%s\n", list, ctx)
	b.WriteString("\tlocal -a items\n\titems=(${(f)\"$(" + Lister + " $kind --root=\"$root\" --kernel=\"$kver\" -- \"$@\" 2>/dev/null)\"})\n")
	b.WriteString("\tif [[ $kind == params ]]; then\n\t\tcompadd -S '' -a items\n\telse\n\t\tcompadd -a items\n\tfi\n}\n\n")
	fmt.Fprintf(&b, "%s() {\n\tlocal curcontext=$curcontext state line\n\ttypeset -A opt_args\n\t_arguments -s -S \\\n", funcName(m.Name))
	zshOptions(&b, m, list)
	zshOperands(&b, m, list)
	b.WriteString("\n")
	if len(m.Commands) > 0 {
		b.WriteString("\tcase $state in\n\targs)\n\t\tcase $line[1] in\n")
		for _, c := range m.Commands {
			fmt.Fprintf(&b, "\t\t%s)\n\t\t\t_arguments -s -S \\\n", c.Name)
			zshOptions(&b, c, list)
			zshOperands(&b, c, list)
			b.WriteString("\n\t\t\t;;\n")
		}
		b.WriteString("\t\tesac ;;\n\tesac\n")
	}
	fmt.Fprintf(&b, "}\n\n%s \"$@\"\n", funcName(m.Name))
	io.WriteString(w, b.String())
}

func zshHelp(s string) string {
	return strings.NewReplacer("'", `'\''`, "[", "(", "]", ")", ":", " -", "`", "").Replace(s)
}

func zshAction(o Option, list string) string {
	switch o.Value {
	case spec.File:
		return "_files"
	case spec.Dir, spec.Root:
		return "_files -/"
	case spec.KernelVersion:
		return list + " kernels"
	case spec.Word:
		return "(" + strings.Join(o.Words, " ") + ")"
	}
	return " "
}

func zshOptions(b *strings.Builder, m Model, list string) {
	for _, o := range m.Options {
		h := zshHelp(o.Help)
		arg := ""
		if o.Arg {
			arg = ":" + zshHelp(strings.ToLower(o.Long)) + ":" + zshAction(o, list)
		}
		if o.Short != "" {
			sep := ""
			if o.Arg {
				sep = "+"
			}
			fmt.Fprintf(b, "\t\t'*-%s%s[%s]%s' \\\n", o.Short, sep, h, arg)
		}
		if o.Long != "" {
			sep := ""
			if o.Arg {
				sep = "="
			}
			fmt.Fprintf(b, "\t\t'*--%s%s[%s]%s' \\\n", o.Long, sep, h, arg)
		}
	}
}

func zshOperands(b *strings.Builder, m Model, list string) {
	action := func(v spec.Value) string {
		switch v {
		case spec.Module:
			return "{ _files; " + list + " modules }"
		case spec.LoadedModule:
			return list + " loaded"
		case spec.File:
			return "_files"
		case spec.KernelVersion:
			return list + " kernels"
		case spec.Parameter:
			return "{ " + list + " params \"$line[1]\" }"
		}
		return " "
	}
	switch {
	case len(m.Commands) > 0:
		var names []string
		for _, c := range m.Commands {
			// Each value\:description of (( )) is a shell word.
			names = append(names, c.Name+`\:"`+strings.ReplaceAll(zshHelp(c.Help), `"`, "")+`"`)
		}
		fmt.Fprintf(b, "\t\t'1:command:((%s))' \\\n\t\t'*::arg:->args'", strings.Join(names, " "))
	case len(m.Operands) > 0:
		fmt.Fprintf(b, "\t\t'1:%s:%s' \\\n\t\t'*:%s:%s'", kindName(m.Operands[0]), action(m.Operands[0]),
			kindName(m.Operands[len(m.Operands)-1]), action(m.Operands[len(m.Operands)-1]))
	default:
		b.WriteString("\t\t")
	}
}
