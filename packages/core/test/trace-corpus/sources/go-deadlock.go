// Prints the trace of go-deadlock.txt: the runtime's fatal error when every goroutine is blocked.
package main

import "fmt"

func main() {
	fmt.Println("waiting for a result")
	results := make(chan int)
	<-results
}
