// hello: the smallest traced program — one goroutine, no messages.
package main

import "fmt"

func main() {
	fmt.Println("hello, gotrace")
}
