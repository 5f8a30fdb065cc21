// timers: a ticker drives a goroutine, a timer ends it, and time.AfterFunc runs a function on
// its own goroutine.
package main

import (
	"fmt"
	"time"
)

func ticking(ticker *time.Ticker, stop <-chan bool, count chan<- int) {
	n := 0
	for {
		select {
		case <-ticker.C:
			n++
		case <-stop:
			count <- n
			return
		}
	}
}

func main() {
	ticker := time.NewTicker(2 * time.Millisecond)
	defer ticker.Stop()
	stop := make(chan bool)
	count := make(chan int)
	go ticking(ticker, stop, count)

	fired := make(chan bool)
	time.AfterFunc(5*time.Millisecond, func() { fired <- true })
	<-fired

	<-time.NewTimer(10 * time.Millisecond).C
	stop <- true
	if n := <-count; n > 0 {
		fmt.Println("ticked")
	}
}
