// many: 200 goroutines each send one result to main over a single channel (fan-in).
package main

import (
	"log"
	"os"
	"runtime/trace"
)

const workers = 200

func worker(id int, results chan<- int) {
	results <- id * id
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	results := make(chan int)
	for i := 0; i < workers; i++ {
		go worker(i, results)
	}
	sum := 0
	for i := 0; i < workers; i++ {
		sum += <-results
	}
	trace.Stop()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	if sum == 0 {
		log.Fatal("no results")
	}
}
