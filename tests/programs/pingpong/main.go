// pingpong: two players hit a ball over an unbuffered channel until it has been hit 10
// times; main serves the ball and waits for the player who makes the last hit to say done.
package main

import (
	"log"
	"os"
	"runtime/trace"
)

type ball struct{ hits int }

func player(table chan *ball, done chan<- struct{}) {
	for {
		b := <-table
		b.hits++
		if b.hits == 10 {
			done <- struct{}{}
			return
		}
		table <- b
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
	table := make(chan *ball)
	done := make(chan struct{})
	go player(table, done)
	go player(table, done)
	table <- new(ball) // serve
	<-done
	trace.Stop()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
