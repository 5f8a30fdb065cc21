// prodcons: a producer and a consumer with a buffered channel between them; the producer runs
// ahead until the buffer is full.
package main

import (
	"fmt"
	"time"
)

func producer(items chan<- int) {
	for i := 0; i < 10; i++ {
		items <- i
	}
	close(items)
}

func consumer(items <-chan int, done chan<- int) {
	sum := 0
	for item := range items {
		time.Sleep(500 * time.Microsecond) // slower than the producer
		sum += item
	}
	done <- sum
}

func main() {
	items := make(chan int, 3)
	done := make(chan int)
	go producer(items)
	go consumer(items, done)
	fmt.Println("consumed", <-done)
}
