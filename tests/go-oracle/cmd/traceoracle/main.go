// traceoracle prints the events of an old-format (go 1.5–1.21) trace as Go 1.21's own parser
// reads them, one per line exactly like `go tool trace -d`, and adds to every GoCreate line
// the function the new goroutine starts in: " startfn=NAME", or " startfn=?" when the trace
// does not name it (go 1.5/1.6 traces record bare PCs).
// Built inside a copy of Go 1.21's source tree by scripts/go-oracle.sh; not part of gotrace.
package main

import (
	"bufio"
	"fmt"
	"internal/trace"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: traceoracle TRACE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	res, err := trace.ParseWithoutBinary(bufio.NewReader(f))
	if err != nil {
		fmt.Fprintf(os.Stderr, "failed to parse trace: %v\n", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	for _, ev := range res.Events {
		fmt.Fprint(w, ev)
		if ev.Type == trace.EvGoCreate {
			fmt.Fprintf(w, " startfn=%s", startFunc(res.Stacks[ev.Args[1]]))
		}
		fmt.Fprintln(w)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func startFunc(stk []*trace.Frame) string {
	if len(stk) == 0 || stk[0].Fn == "" {
		return "?"
	}
	return stk[0].Fn
}
