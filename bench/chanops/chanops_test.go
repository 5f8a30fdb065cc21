// Package chanops measures what a channel operation costs: run by
// scripts/bench-chanops.sh on the stock and the patched runtime of one Go,
// with the execution tracer off and on (CHANOPS_TRACE=1 traces the whole
// run into io.Discard; GODEBUG=tracechanops=1 adds the channel events).
package chanops

import (
	"fmt"
	"io"
	"os"
	"runtime/trace"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv("CHANOPS_TRACE") != "1" {
		os.Exit(m.Run())
	}
	if err := trace.Start(io.Discard); err != nil {
		fmt.Fprintln(os.Stderr, "chanops: cannot start the tracer:", err)
		os.Exit(1)
	}
	code := m.Run()
	trace.Stop()
	os.Exit(code)
}

// One op: a send into a buffered channel and the receive that takes it out;
// neither blocks.
func BenchmarkBufferedPair(b *testing.B) {
	c := make(chan int, 1)
	for i := 0; i < b.N; i++ {
		c <- i
		<-c
	}
}

// One op: a round trip over two unbuffered channels to a partner goroutine
// (two messages, each one side parked).
func BenchmarkUnbufferedPingPong(b *testing.B) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	for i := 0; i < b.N; i++ {
		ping <- i
		<-pong
	}
	close(ping)
}

// One op: a two-case select that sends into a buffered channel and a
// two-case select that receives it.
func BenchmarkSelect(b *testing.B) {
	c1, c2 := make(chan int, 1), make(chan int, 1)
	for i := 0; i < b.N; i++ {
		select {
		case c1 <- i:
		case c2 <- i:
		}
		select {
		case <-c1:
		case <-c2:
		}
	}
}
