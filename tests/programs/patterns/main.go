// patterns: the common ways goroutines wait for each other: select with a timeout, a mutex,
// a WaitGroup, time.Sleep, a buffered channel between a producer and a consumer, sync.Cond.
package main

import (
	"log"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

// selectWithTimeout waits on a channel nobody sends to until the timer fires.
func selectWithTimeout(wg *sync.WaitGroup) {
	defer wg.Done()
	never := make(chan int)
	select {
	case <-never:
	case <-time.After(2 * time.Millisecond):
	}
}

// contend makes goroutines queue on one mutex while its holder sleeps.
func contend(mu *sync.Mutex, counter *int, wg *sync.WaitGroup) {
	defer wg.Done()
	mu.Lock()
	time.Sleep(time.Millisecond)
	*counter++
	mu.Unlock()
}

func producer(ch chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < 20; i++ {
		ch <- i
	}
	close(ch)
}

func consumer(ch <-chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for range ch {
		time.Sleep(100 * time.Microsecond)
	}
}

// waitReady blocks on a condition variable until main broadcasts.
func waitReady(c *sync.Cond, ready *bool, wg *sync.WaitGroup) {
	defer wg.Done()
	c.L.Lock()
	for !*ready {
		c.Wait()
	}
	c.L.Unlock()
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup

	wg.Add(1)
	go selectWithTimeout(&wg)

	var mu sync.Mutex
	counter := 0
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go contend(&mu, &counter, &wg)
	}

	ch := make(chan int, 4)
	wg.Add(2)
	go producer(ch, &wg)
	go consumer(ch, &wg)

	cond := sync.NewCond(&sync.Mutex{})
	ready := false
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go waitReady(cond, &ready, &wg)
	}
	time.Sleep(3 * time.Millisecond)
	cond.L.Lock()
	ready = true
	cond.Broadcast()
	cond.L.Unlock()

	wg.Wait()
	trace.Stop()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
