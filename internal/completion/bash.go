package completion

import (
	"fmt"
	"io"
	"strings"

	"github.com/modutils/modutils/applets/applet/spec"
)

// Lister is the command the scripts run for what only the system knows.
const Lister = "modutils completion --list"

func funcName(parts ...string) string {
	return "_modutils_" + strings.NewReplacer("-", "_", " ", "_").Replace(strings.Join(parts, "_"))
}

// Bash writes the bash completion of m, for bash-completion's
// completions directory (one file a command, loaded when it is first
// completed) or to be sourced.
func Bash(w io.Writer, m Model) {
	var b strings.Builder
	fmt.Fprintf(&b, "# bash completion for %s, made by \"modutils completion bash %s\" from its option table.\n", m.Name, m.Name)
	bashFunc(&b, m, funcName(m.Name))
	for _, c := range m.Commands {
		bashFunc(&b, c, funcName(m.Name, c.Name))
	}
	fmt.Fprintf(&b, "complete -F %s %s\n", funcName(m.Name), m.Name)
	io.WriteString(w, b.String())
}

func pattern(words []string) string { return strings.Join(words, "|") }

func bashFunc(b *strings.Builder, m Model, name string) {
	fmt.Fprintf(b, "\n%s()\n{\n", name)
	b.WriteString(`	local start=${1:-1} cur=${COMP_WORDS[COMP_CWORD]} prev= root= kver= first= want= as= w i n=0
	(( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
	# bash splits --opt=value at the "=".
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then
		prev=${COMP_WORDS[COMP_CWORD-2]}
	fi
	for ((i = start; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ -n $want ]]; then
			[[ $w == = ]] && continue
			case $want in root) root=$w ;; kver) kver=$w ;; esac
			want=
			continue
		fi
		case $w in
`)
	roots, kvers := m.optionsOf(spec.Root), m.optionsOf(spec.KernelVersion)
	if len(roots) > 0 {
		fmt.Fprintf(b, "\t\t%s) want=root; continue ;;\n", pattern(roots))
	}
	if len(kvers) > 0 {
		fmt.Fprintf(b, "\t\t%s) want=kver; continue ;;\n", pattern(kvers))
	}
	var others []string
	for _, o := range m.Options {
		if o.Arg && o.Value != spec.Root && o.Value != spec.KernelVersion {
			others = append(others, o.names()...)
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(b, "\t\t%s) want=arg; continue ;;\n", pattern(others))
	}
	for _, o := range m.Options {
		if o.Short == "" || !o.Arg {
			continue
		}
		switch o.Value {
		case spec.Root:
			fmt.Fprintf(b, "\t\t-%s?*) root=${w#-%s}; continue ;;\n", o.Short, o.Short)
		case spec.KernelVersion:
			fmt.Fprintf(b, "\t\t-%s?*) kver=${w#-%s}; continue ;;\n", o.Short, o.Short)
		}
	}
	for _, o := range m.placeOptions() {
		if o.Long != "" {
			fmt.Fprintf(b, "\t\t--%s=?*) %s=${w#*=}; continue ;;\n", o.Long, o.Var)
		}
	}
	for _, o := range m.Options {
		if o.OperandsAs != spec.None {
			fmt.Fprintf(b, "\t\t%s) as=%s; continue ;;\n", pattern(o.names()), kindName(o.OperandsAs))
		}
	}
	b.WriteString("\t\t-?*) continue ;;\n\t\tesac\n")
	if len(m.Commands) > 0 {
		b.WriteString("\t\tcase $w in\n")
		for _, c := range m.Commands {
			fmt.Fprintf(b, "\t\t%s) %s $((i + 1)); return ;;\n", c.Name, funcName(m.Name, c.Name))
		}
		b.WriteString("\t\tesac\n")
	}
	b.WriteString("\t\t(( n == 0 )) && first=$w\n\t\tn=$((n + 1))\n\tdone\n")

	// The value of the option before the cursor.
	b.WriteString("\tcase $prev in\n")
	arms := map[spec.Value]string{
		spec.File:          `COMPREPLY=($(compgen -f -- "$cur"))`,
		spec.Dir:           `COMPREPLY=($(compgen -d -- "$cur"))`,
		spec.Root:          `COMPREPLY=($(compgen -d -- "$cur"))`,
		spec.KernelVersion: `COMPREPLY=($(compgen -W "$(` + Lister + ` kernels --root="$root" 2>/dev/null)" -- "$cur"))`,
	}
	for _, v := range []spec.Value{spec.File, spec.Dir, spec.Root, spec.KernelVersion} {
		if opts := m.optionsOf(v); len(opts) > 0 {
			fmt.Fprintf(b, "\t%s) %s; return ;;\n", pattern(opts), arms[v])
		}
	}
	for _, o := range m.Options {
		if o.Arg && o.Value == spec.Word {
			fmt.Fprintf(b, "\t%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", pattern(o.names()), strings.Join(o.Words, " "))
		}
	}
	if rest := m.optionsOf(spec.None); len(rest) > 0 {
		fmt.Fprintf(b, "\t%s) return ;;\n", pattern(rest))
	}
	b.WriteString("\tesac\n")
	fmt.Fprintf(b, "\tif [[ $cur == -* ]]; then\n\t\tCOMPREPLY=($(compgen -W %q -- \"$cur\"))\n", strings.Join(m.allNames(), " "))
	b.WriteString("\t\t[[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace\n\t\treturn\n\tfi\n")
	if len(m.Operands) == 0 && len(m.Commands) == 0 {
		b.WriteString("}\n")
		return
	}
	first, rest := spec.None, spec.None
	if len(m.Operands) > 0 {
		first, rest = m.Operands[0], m.Operands[len(m.Operands)-1]
	}
	if len(m.Commands) > 0 {
		first = spec.Command
	}
	fmt.Fprintf(b, "\tlocal kind=%s\n\t(( n == 0 )) && kind=%s\n\t[[ -n $as ]] && kind=$as\n\tcase $kind in\n", kindName(rest), kindName(first))
	b.WriteString(`	module)
		if [[ $cur == */* ]]; then
			COMPREPLY=($(compgen -f -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(` + Lister + ` modules --root="$root" --kernel="$kver" 2>/dev/null)" -- "$cur"))
		fi ;;
	loaded) COMPREPLY=($(compgen -W "$(` + Lister + ` loaded 2>/dev/null)" -- "$cur")) ;;
	file) COMPREPLY=($(compgen -f -- "$cur")) ;;
	kernel) COMPREPLY=($(compgen -W "$(` + Lister + ` kernels --root="$root" 2>/dev/null)" -- "$cur")) ;;
	param)
		COMPREPLY=($(compgen -W "$(` + Lister + ` params --root="$root" --kernel="$kver" -- "$first" 2>/dev/null)" -- "$cur"))
		[[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace ;;
`)
	if len(m.Commands) > 0 {
		var names []string
		for _, c := range m.Commands {
			names = append(names, c.Name)
		}
		fmt.Fprintf(b, "\tcommand) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", strings.Join(names, " "))
	}
	b.WriteString("\tesac\n}\n")
}

// kindName is an operand's kind as the scripts name it.
func kindName(v spec.Value) string {
	switch v {
	case spec.Module:
		return "module"
	case spec.LoadedModule:
		return "loaded"
	case spec.File:
		return "file"
	case spec.KernelVersion:
		return "kernel"
	case spec.Parameter:
		return "param"
	case spec.Command:
		return "command"
	}
	return "none"
}
