// Command probe proves that a patched Go runtime records channel operations:
// run it with GODEBUG=tracechanops=1; it writes an execution trace to the file
// named by its first argument. The channel events of the channels it makes are
// listed in expected.txt (see ../README.md for how to compare).
package main

import (
	"fmt"
	"os"
	"runtime/trace"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: probe TRACE-FILE")
		os.Exit(2)
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
	if err := trace.Start(f); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
	operations()
	trace.Stop()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

// operations does one of each kind of channel operation, in an order that
// does not depend on scheduling (only which side of the unbuffered message
// parks does).
func operations() {
	// Unbuffered: one message from another goroutine.
	hello := make(chan int)
	go func() { hello <- 42 }()
	<-hello

	// Buffered, signed values, close, drain to the closed receive.
	small := make(chan int8, 2)
	small <- -1
	small <- 7
	close(small)
	for range small {
	}
	<-small

	// Strings through non-blocking selects.
	words := make(chan string, 1)
	select {
	case words <- "hello":
	default:
	}
	select {
	case <-words:
	default:
	}

	// A select with two ready cases cannot tell which it picks, so one
	// case is a nil channel; the receive discards its value.
	var never chan float64
	floats := make(chan float64, 1)
	floats <- 1.5
	select {
	case <-floats:
	case never <- 0:
	}
}
