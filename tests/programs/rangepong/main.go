// rangepong: ping-pong where the two players range over the table: main serves, the players
// pass the ball 9 times, the tenth hit goes to main on done, and main closes the table while
// both players wait at it. 11 values handed over, 2 wake-ups by close.
package main

import (
	"log"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func player(table chan int, done chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	for hits := range table {
		hits++
		// Give the other player time to wait at the table, so every hit is a hand-off.
		time.Sleep(time.Millisecond)
		if hits == 10 {
			done <- hits
			continue
		}
		table <- hits
	}
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	table := make(chan int)
	done := make(chan int)
	var wg sync.WaitGroup
	wg.Add(2)
	go player(table, done, &wg)
	go player(table, done, &wg)
	time.Sleep(5 * time.Millisecond) // both players wait at the table before the serve
	table <- 0
	<-done
	time.Sleep(5 * time.Millisecond) // both players wait at the table again
	close(table)
	wg.Wait()
	trace.Stop()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
