// Command gotracebench is the reference for gotrace's speed: it reads a trace with Go's own
// streaming parser (internal/trace, the one `go tool trace` uses) and prints the number of
// events. It imports an internal package, so it only builds from inside a GOROOT, as
// src/cmd/gotracebench (scripts/bench.sh puts it there in a hardlinked copy of Go 1.27).
// Go 1.27's parser also reads old-format traces (Go 1.11–1.21) through its converter.
package main

import (
	"fmt"
	"internal/trace"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gotracebench TRACE")
		os.Exit(2)
	}
	n, err := count(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "gotracebench:", err)
		os.Exit(1)
	}
	fmt.Println(n)
}

// count reads every event, as a consumer of the trace would, and keeps none of them.
func count(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r, err := trace.NewReader(f) // buffers the file itself
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		_, err := r.ReadEvent()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("after %d events: %w", n, err)
		}
		n++
	}
}
