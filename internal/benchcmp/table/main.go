// Command table prints the rows make bench recorded (benchcmp.Record's
// JSON lines, in the files named) as one Markdown table of ratios, with
// the date and the machine, for the README.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/modutils/modutils/internal/benchcmp"
)

func main() {
	var rows []benchcmp.Row
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "table:", err)
			os.Exit(1)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var r benchcmp.Row
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				fmt.Fprintf(os.Stderr, "table: %s: %v\n", name, err)
				os.Exit(1)
			}
			rows = append(rows, r)
		}
		f.Close()
	}
	printTable(os.Stdout, rows)
}

func printTable(w io.Writer, rows []benchcmp.Row) {
	when := ""
	for _, r := range rows {
		when = max(when, r.When)
	}
	fmt.Fprintf(w, "%s, %s, %d cores, Linux %s, %s; medians of paired runs, sides alternating.\n\n",
		when, cpu(), runtime.NumCPU(), kernel(), runtime.Version())
	fmt.Fprintln(w, "| tree | run | cache | ours / other | goal | ours | other | peak memory, ours / other | limit | ours / limit |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		ratio := "-"
		if r.OtherMs > 0 {
			ratio = fmt.Sprintf("**%.2f**", r.OursMs/r.OtherMs)
		}
		goal := goalCell(r)
		mem := "-"
		if r.OtherMiB > 0 && r.OursMiB > 0 {
			mem = fmt.Sprintf("%.2f (%.1f / %.1f MiB)", r.OursMiB/r.OtherMiB, r.OursMiB, r.OtherMiB)
		}
		limit, vsLimit := "-", "-"
		if r.LimitMs > 0 {
			limit = dur(r.LimitMs) + " " + r.Limit
			vsLimit = fmt.Sprintf("%.1f", r.OursMs/r.LimitMs)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s (%s) | %s | %s | %s |\n",
			r.Tree, r.Run, r.Cache, ratio, goal, dur(r.OursMs), dur(r.OtherMs), r.Other, mem, limit, vsLimit)
	}
}

// goalCell is a row's goal, and whether it is met; a goal that asks for
// less time than the row's limit (the least any tool could take here)
// says so, since no change to the tool can meet it on this machine.
func goalCell(r benchcmp.Row) string {
	if r.Goal <= 0 {
		return "-"
	}
	goal := fmt.Sprintf("%.2f", r.Goal)
	switch {
	case r.OtherMs > 0 && r.OursMs/r.OtherMs <= r.Goal:
		goal += " (met)"
	case r.LimitMs > 0 && r.Goal*r.OtherMs < r.LimitMs:
		goal += " (below the limit)"
	}
	return goal
}

// dur prints milliseconds with three significant figures.
func dur(ms float64) string {
	switch {
	case ms >= 1000:
		return fmt.Sprintf("%.2f s", ms/1000)
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.2f ms", ms)
}

func cpu() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func kernel() string {
	data, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(data))
}
