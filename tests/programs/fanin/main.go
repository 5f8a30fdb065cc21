// fanin: two producers close their channels when done; a forwarder each ranges over one and
// merges into a channel main ranges over, closed once both forwarders are done. Every
// receiver waits before each value (the senders sleep first), so every close that ends a
// range wakes a waiting goroutine: 3 of them (two forwarders, main).
package main

import (
	"log"
	"os"
	"runtime/trace"
	"time"
)

func producer(n int, delay time.Duration) <-chan int {
	out := make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			time.Sleep(delay)
			out <- i
		}
		time.Sleep(delay)
		close(out)
	}()
	return out
}

func forward(in <-chan int, out chan<- int, done chan<- bool) {
	for v := range in {
		out <- v
	}
	done <- true
}

func fanIn(a, b <-chan int) <-chan int {
	merged := make(chan int)
	done := make(chan bool)
	go forward(a, merged, done)
	go forward(b, merged, done)
	go func() {
		<-done
		<-done
		time.Sleep(2 * time.Millisecond)
		close(merged)
	}()
	return merged
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	n := 0
	for range fanIn(producer(4, time.Millisecond), producer(3, 3*time.Millisecond/2)) {
		n++
	}
	if n != 7 {
		log.Fatalf("merged %d values, want 7", n)
	}
	trace.Stop()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
