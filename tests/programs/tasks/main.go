// tasks: user annotations: a task per order, regions inside it, and log messages.
package main

import (
	"context"
	"log"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func handle(ctx context.Context, order int, wg *sync.WaitGroup) {
	defer wg.Done()
	ctx, task := trace.NewTask(ctx, "order")
	defer task.End()
	trace.Logf(ctx, "order", "id=%d", order)
	trace.WithRegion(ctx, "validate", func() {
		time.Sleep(200 * time.Microsecond)
	})
	r := trace.StartRegion(ctx, "store")
	time.Sleep(300 * time.Microsecond)
	r.End()
	trace.Log(ctx, "status", "done")
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	ctx, task := trace.NewTask(context.Background(), "batch")
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go handle(ctx, i, &wg)
	}
	wg.Wait()
	task.End()
	trace.Stop()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
