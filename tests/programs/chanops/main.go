// chanops: the channel operations that a patched runtime records (GODEBUG=tracechanops=1),
// one of each kind the viewer draws: a producer fills a buffered channel faster than its
// consumer empties it (values wait in the buffer), the consumer hands squares over an
// unbuffered channel, main selects between that and a channel of float64, and every channel
// is closed by its sender. Values: jobs 10…60, squares 100…3600, ratios 0.5, 1.5, 2.5.
package main

import (
	"log"
	"os"
	"runtime/trace"
	"time"
)

func producer(jobs chan<- int) {
	for i := 1; i <= 6; i++ {
		jobs <- i * 10
	}
	close(jobs)
}

// squarer takes jobs slower than they come, so they wait in the buffer.
func squarer(jobs <-chan int, squares chan<- int) {
	for j := range jobs {
		time.Sleep(300 * time.Microsecond)
		squares <- j * j
	}
	close(squares)
}

func ratios(out chan<- float64) {
	for _, r := range []float64{0.5, 1.5, 2.5} {
		time.Sleep(500 * time.Microsecond)
		out <- r
	}
	close(out)
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	jobs := make(chan int, 3)
	squares := make(chan int)
	rs := make(chan float64)
	go producer(jobs)
	go squarer(jobs, squares)
	go ratios(rs)
	for squares != nil || rs != nil {
		select {
		case _, ok := <-squares:
			if !ok {
				squares = nil
			}
		case _, ok := <-rs:
			if !ok {
				rs = nil
			}
		}
	}
	trace.Stop()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
