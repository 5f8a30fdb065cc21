// pingpong: two players hit a ball over an unbuffered channel. main serves, the players
// pass the ball 9 times, and the tenth hit goes back to main: 11 messages in all. Then main
// closes the table, so the player left waiting there goes home too (no goroutine leaks).
package main

import (
	"fmt"
	"time"
)

const hits = 10

type Ball struct{ hits int }

func player(name string, table chan *Ball, done chan *Ball) {
	for {
		ball, open := <-table
		if !open {
			return
		}
		ball.hits++
		fmt.Println(name, ball.hits)
		// Give the other player time to wait at the table, so every hit is a hand-off.
		time.Sleep(time.Millisecond)
		if ball.hits == hits {
			done <- ball
			return
		}
		table <- ball
	}
}

func main() {
	table := make(chan *Ball)
	done := make(chan *Ball)
	go player("ping", table, done)
	go player("pong", table, done)
	time.Sleep(5 * time.Millisecond) // both players wait at the table before the serve
	table <- new(Ball)
	ball := <-done
	close(table)
	fmt.Println("game over after", ball.hits, "hits")
}
