package qr_test

import (
	"fmt"
	"net/url"

	"github.com/hutong-dev/hutong/shortlink/qr"
)

func Example() {
	q, _ := url.ParseQuery("size=300&level=q&fg=1a2b3c")
	o, err := qr.OptionsFromQuery(q)
	if err != nil {
		fmt.Println(err) // a 400 with a message the user can act on
		return
	}
	png, err := qr.PNG("https://hut.ong/aB3xY9k", o)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(png) > 0, qr.ETag("https://hut.ong/aB3xY9k", o) == qr.ETag("https://hut.ong/aB3xY9k", o))
	// Output: true true
}

func ExampleParseOptions() {
	_, err := qr.ParseOptions(url.Values{"size": {"4096"}}.Get)
	fmt.Println(err)
	_, err = qr.ParseOptions(url.Values{"fg": {"cccccc"}}.Get)
	fmt.Println(err)
	// Output:
	// qr: size "4096": must be an integer from 64 to 2048 (pixels)
	// qr: fg "#cccccc": contrast with background #ffffff is 1.6:1, need at least 3:1 for phones to scan it; use a darker foreground or a lighter background
}
