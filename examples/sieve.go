// sieve: the concurrent prime sieve — a generator and one filter goroutine per prime, in a
// chain of channels. The classic sieve leaks by design: when main has its primes it returns,
// leaving the generator and every filter blocked on their channels, so `gotrace run --check`
// reports them (and exits with 3).
package main

import "fmt"

const primes = 10

// generate sends 2, 3, 4, ... to ch.
func generate(ch chan<- int) {
	for i := 2; ; i++ {
		ch <- i
	}
}

// filter passes on the values from in that prime does not divide.
func filter(in <-chan int, out chan<- int, prime int) {
	for {
		i := <-in
		if i%prime != 0 {
			out <- i
		}
	}
}

func main() {
	ch := make(chan int)
	go generate(ch)
	for i := 0; i < primes; i++ {
		prime := <-ch
		fmt.Println(prime)
		next := make(chan int)
		go filter(ch, next, prime)
		ch = next
	}
}
