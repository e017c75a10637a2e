package modconf

import (
	"strings"

	"github.com/modutils/modutils/internal/diag"
)

// kcmdlineSize is the buffer kmod reads /proc/cmdline into (KCMD_LINE_SIZE):
// it keeps the first 4095 bytes.
const kcmdlineSize = 4096

// Cmdline parser states, as in kmod_config_parse_kcmdline.
const (
	kcIgnore = iota
	kcModname
	kcParam
	kcValue
	kcComplete
)

// AddCmdline adds what the kernel command line configures, as kmod 34.2's
// kmod_config_parse_kcmdline reads /proc/cmdline (pass its contents):
//
//   - a word "module.param=value" or "module.param" becomes "options module
//     param=value" (the module name through Underscores; one that fails
//     gets an error and is dropped);
//   - "modprobe.blacklist=a,b" blacklists each name between commas, as
//     written (empty ones too);
//   - a word is ended by white space outside double quotes; quotes may
//     enclose the value, or start the word and end in the value, as GRUB
//     writes "mod.param=a b" (kmod then moves the quote after the '=');
//   - a quote anywhere else, a second '.' before the '=', white space
//     inside quotes before the value, or an '=' before the '.' make kmod
//     skip the word, silently; so does an unterminated quote at the end.
//
// Only the first 4095 bytes count, and a NUL ends the text, as in kmod's
// buffer. Everything else on the command line is ignored.
func (c *Config) AddCmdline(cmdline string, report diag.Reporter) {
	if report == nil {
		report = diag.Discard
	}
	if len(cmdline) > kcmdlineSize-1 {
		cmdline = cmdline[:kcmdlineSize-1]
	}
	buf := make([]byte, len(cmdline)+1) // with kmod's terminating NUL
	copy(buf, cmdline)
	cstr := func(i int) string {
		j := i
		for buf[j] != 0 {
			j++
		}
		return string(buf[i:j])
	}

	state := kcModname
	quoted := false
	quoteStart := -1
	modname, param, value := 0, -1, -1
	for p, more := 0, true; more; p++ {
		switch buf[p] {
		case '"':
			quoted = !quoted
			// A quote may open a word; anywhere but in the value it
			// spoils it.
			if quoted && state == kcModname && p == modname {
				quoteStart = p
				modname = p + 1
			} else if state != kcValue {
				state = kcIgnore
			}
		case 0, ' ', '\n', '\t', '\v', '\f', '\r':
			if buf[p] == 0 {
				more = false
			}
			switch {
			case quoted && state == kcValue:
			case quoted:
				state = kcIgnore
			case state == kcValue || state == kcParam:
				buf[p] = 0
				state = kcComplete
			default:
				modname = p + 1
				state = kcModname
				quoteStart = -1
			}
		case '.':
			if state == kcModname {
				buf[p] = 0
				param = p + 1
				state = kcParam
			} else if state == kcParam {
				state = kcIgnore
			}
		case '=':
			if state == kcParam {
				value = p + 1
				state = kcValue
			} else if state == kcModname {
				state = kcIgnore
			}
		}

		if state == kcComplete {
			if quoteStart >= 0 && quoteStart < modname {
				// "mod.param=a b" -> mod.param="a b": shift the name
				// and the parameter's name left over the quote and put
				// it after the '='.
				copy(buf[quoteStart:], buf[modname:value])
				value--
				modname--
				param--
				buf[value] = '"'
			}
			c.kcmdlineResult(cstr(modname), cstr(param), value, cstr, report)
			modname = p + 1
			state = kcModname
			quoteStart = -1
		}
	}
}

// kcmdlineResult is kmod's kcmdline_parse_result for one complete word.
func (c *Config) kcmdlineResult(modname, param string, value int, cstr func(int) string, report diag.Reporter) {
	if modname == "modprobe" && strings.HasPrefix(param, "blacklist=") {
		// The '=' was seen, so value points into this word.
		c.Blacklists = append(c.Blacklists, strings.Split(cstr(value), ",")...)
		return
	}
	name, ok := Underscores(modname)
	if !ok {
		diag.LibkmodErr(report, siteKcmdline, "Ignoring bad option on kernel command line while parsing module name: '%s'\n", name)
		return
	}
	c.Options = append(c.Options, ModOptions{Modname: name, Options: strings.ReplaceAll(param, "\t", " ")})
}
