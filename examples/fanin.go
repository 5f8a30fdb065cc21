// fanin: two producers, and one forwarding goroutine each that merges their values into a
// single channel main reads from.
package main

import (
	"fmt"
	"time"
)

func producer(name string, n int, delay time.Duration) <-chan string {
	out := make(chan string)
	go func() {
		for i := 0; i < n; i++ {
			time.Sleep(delay)
			out <- fmt.Sprintf("%s %d", name, i)
		}
		close(out)
	}()
	return out
}

func forward(in <-chan string, out chan<- string, done chan<- bool) {
	for v := range in {
		out <- v
	}
	done <- true
}

func fanIn(a, b <-chan string) <-chan string {
	merged := make(chan string)
	done := make(chan bool)
	go forward(a, merged, done)
	go forward(b, merged, done)
	go func() {
		<-done
		<-done
		close(merged)
	}()
	return merged
}

func main() {
	n := 0
	for v := range fanIn(producer("tick", 4, time.Millisecond), producer("tock", 3, 2*time.Millisecond)) {
		_ = v
		n++
	}
	fmt.Println("merged", n, "values")
}
