// server: an HTTP server on a free local port; three client goroutines send it requests, each
// served on a goroutine of its own, and main exits when they are done, closing the server and
// the clients' kept-alive connections first so that no goroutine is left blocked
// (`gotrace run --check` finds none).
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
)

func client(url string, requests int, wg *sync.WaitGroup, bytes chan<- int) {
	defer wg.Done()
	for i := 0; i < requests; i++ {
		resp, err := http.Get(url)
		if err != nil {
			bytes <- 0
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		bytes <- len(body)
	}
}

func main() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("cannot listen:", err)
		return
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat("x", 10))
	})
	server := &http.Server{Handler: handler}
	go server.Serve(listener)

	url := "http://" + listener.Addr().String() + "/"
	bytes := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go client(url, 2, &wg, bytes)
	}
	go func() {
		wg.Wait()
		close(bytes)
	}()
	total := 0
	for n := range bytes {
		total += n
	}
	http.DefaultClient.CloseIdleConnections()
	server.Close()
	fmt.Println("received", total, "bytes")
}
