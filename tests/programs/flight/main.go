//go:build go1.25

// flight: the flight recorder (Go 1.25+) keeps the last moments of a busy program; its
// window is written out after the work, with the tasks, regions, logs and messages in it.
package main

import (
	"context"
	"log"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func worker(ctx context.Context, id int, jobs <-chan int, results chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		trace.WithRegion(ctx, "work", func() {
			time.Sleep(50 * time.Microsecond)
		})
		trace.Logf(ctx, "job", "worker=%d job=%d", id, j)
		results <- j * j
	}
}

func main() {
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 200 * time.Millisecond, MaxBytes: 1 << 20})
	if err := fr.Start(); err != nil {
		log.Fatal(err)
	}
	ctx, task := trace.NewTask(context.Background(), "batch")
	jobs, results := make(chan int), make(chan int, 8)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go worker(ctx, i, jobs, results, &wg)
	}
	go func() {
		// Long enough that the recorder moves on past its first generations.
		deadline := time.Now().Add(300 * time.Millisecond)
		for j := 0; time.Now().Before(deadline); j++ {
			jobs <- j
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	sum := 0
	for r := range results {
		sum += r
	}
	task.End()
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	if _, err := fr.WriteTo(f); err != nil {
		log.Fatal(err)
	}
	fr.Stop()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	_ = sum
}
