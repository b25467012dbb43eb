// Prints the trace of go-panic.txt: a log line, then a panic in a goroutine while main waits.
package main

import (
	"log"
	"sync"
)

type store struct{ items []int }

func (s *store) get(i int) int { return s.items[i] }

func main() {
	log.Println("starting")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := &store{items: []int{1, 2, 3}}
		log.Println("item", s.get(5))
	}()
	wg.Wait()
}
