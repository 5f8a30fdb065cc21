// workers: a pool of four workers takes jobs from one channel and sends results to another.
package main

import (
	"fmt"
	"time"
)

const (
	numWorkers = 4
	numJobs    = 12
)

func worker(id int, jobs <-chan int, results chan<- int) {
	for job := range jobs {
		time.Sleep(time.Millisecond) // the work
		results <- job * job
	}
}

func main() {
	jobs := make(chan int)
	results := make(chan int)
	for w := 0; w < numWorkers; w++ {
		go worker(w, jobs, results)
	}
	go func() {
		for j := 1; j <= numJobs; j++ {
			jobs <- j
		}
		close(jobs)
	}()
	sum := 0
	for i := 0; i < numJobs; i++ {
		sum += <-results
	}
	fmt.Println("sum of squares:", sum)
}
