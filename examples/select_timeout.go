// select_timeout: main waits for a slow replier with select and a timeout; some replies come
// in time, the slower ones do not.
package main

import (
	"fmt"
	"time"
)

func replier(requests <-chan time.Duration, replies chan<- string) {
	for delay := range requests {
		time.Sleep(delay)
		select {
		case replies <- fmt.Sprint("after ", delay):
		case <-time.After(20 * time.Millisecond): // main has given up on this one
		}
	}
}

func main() {
	requests := make(chan time.Duration)
	replies := make(chan string)
	go replier(requests, replies)
	for _, delay := range []time.Duration{time.Millisecond, 100 * time.Millisecond, 2 * time.Millisecond} {
		requests <- delay
		select {
		case r := <-replies:
			fmt.Println("reply", r)
		case <-time.After(40 * time.Millisecond):
			fmt.Println("timeout")
			time.Sleep(100 * time.Millisecond) // until the replier has given up too
		}
	}
	close(requests)
}
