// Command stress writes a large execution trace for benchmarking trace parsers: many
// goroutine pairs ping-ponging over unbuffered channels, so that nearly every event is a
// block, an unblock or a goroutine start, as in the programs gotrace is made to show.
//
// Usage: stress [-pairs N] [-rounds R] TRACE_FILE
//
// It builds with Go 1.19 (old trace format) and with Go 1.22+ (new format) alike.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/trace"
	"sync"
)

func main() {
	pairs := flag.Int("pairs", 1000, "number of goroutine pairs")
	rounds := flag.Int("rounds", 1000, "ping-pong exchanges per pair (the trace grows linearly with it)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: stress [-pairs N] [-rounds R] TRACE_FILE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *pairs < 1 || *rounds < 1 {
		flag.Usage()
		os.Exit(2)
	}
	f, err := os.Create(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "stress:", err)
		os.Exit(1)
	}
	if err := trace.Start(f); err != nil {
		fmt.Fprintln(os.Stderr, "stress:", err)
		os.Exit(1)
	}
	pingPong(*pairs, *rounds)
	trace.Stop()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "stress:", err)
		os.Exit(1)
	}
}

// pingPong starts all pairs before any exchange begins, so that all of them are alive
// (and blocked on channels) at the same time, then waits for every pair to finish.
func pingPong(pairs, rounds int) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(pairs)
	done.Add(2 * pairs)
	for i := 0; i < pairs; i++ {
		ping, pong := make(chan int), make(chan int)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			for r := 0; r < rounds; r++ {
				ping <- r
				<-pong
			}
		}()
		go func() {
			defer done.Done()
			for r := 0; r < rounds; r++ {
				pong <- <-ping
			}
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}
