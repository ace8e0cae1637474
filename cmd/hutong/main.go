// Command hutong is the hutong edge service and its command-line tools.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "hutong: under construction")
	os.Exit(2)
}
