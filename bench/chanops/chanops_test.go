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
	"syscall"
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

// cpuPerOp reports the process's CPU time (user + system, all threads: the
// tracer's writer included) per op as cpu-ns/op when the returned func is
// called: on a machine shared with other work, wall time per op mostly
// measures how long the benchmark waited for a core.
func cpuPerOp(b *testing.B) func() {
	start := cpuNanos(b)
	return func() {
		b.ReportMetric(float64(cpuNanos(b)-start)/float64(b.N), "cpu-ns/op")
	}
}

func cpuNanos(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal("getrusage:", err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// One op: a send into a buffered channel and the receive that takes it out;
// neither blocks.
func BenchmarkBufferedPair(b *testing.B) {
	defer cpuPerOp(b)()
	c := make(chan int, 1)
	for i := 0; i < b.N; i++ {
		c <- i
		<-c
	}
}

// One op: a round trip over two unbuffered channels to a partner goroutine
// (two messages, each one side parked).
func BenchmarkUnbufferedPingPong(b *testing.B) {
	defer cpuPerOp(b)()
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
	defer cpuPerOp(b)()
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
