// mutex: five goroutines increment one counter under a sync.Mutex and wait for each other
// when it is taken.
package main

import (
	"fmt"
	"sync"
	"time"
)

type counter struct {
	mu sync.Mutex
	n  int
}

func incrementer(c *counter, times int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < times; i++ {
		c.mu.Lock()
		c.n++
		time.Sleep(100 * time.Microsecond) // hold the lock long enough for others to queue
		c.mu.Unlock()
	}
}

func main() {
	var c counter
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go incrementer(&c, 4, &wg)
	}
	wg.Wait()
	fmt.Println("count:", c.n)
}
