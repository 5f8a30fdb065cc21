// players: eight players around one table; the ball goes to whoever is waiting.
package main

import (
	"fmt"
	"time"
)

const (
	numPlayers = 8
	hits       = 32
)

func player(id int, table chan int, done chan int) {
	for {
		ball, ok := <-table
		if !ok {
			return
		}
		ball++
		time.Sleep(200 * time.Microsecond)
		if ball == hits {
			done <- id
			continue
		}
		table <- ball
	}
}

func main() {
	table := make(chan int)
	done := make(chan int)
	for i := 0; i < numPlayers; i++ {
		go player(i, table, done)
	}
	time.Sleep(5 * time.Millisecond)
	table <- 0
	last := <-done
	close(table)
	fmt.Println(hits, "hits; the last by player", last)
	time.Sleep(2 * time.Millisecond) // let the players see the closed table
}
