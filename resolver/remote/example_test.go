package remote_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/resolver/remote"
)

// A short-link page holds the long URL in a script variable; the Expander
// reads it without running the script. BaseURL points the Expander at a
// local fake of m.tb.cn.
func ExampleExpander() {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><script>var url = 'https:\/\/item.taobao.com\/item.htm?id=1\x26skuId=2'; location.replace(url);</script></html>`)
	}))
	defer fake.Close()

	e := remote.NewExpander(remote.ExpanderConfig{BaseURL: fake.URL})
	long, err := e.Expand(context.Background(), "https://m.tb.cn/h.5Tq1xYz?tk=AbCdEf12345")
	fmt.Println(long, err)

	_, err = e.Expand(context.Background(), "https://evil.example/h.5Tq1xYz")
	fmt.Println(errors.Is(err, remote.ErrNotShortLink))
	// Output:
	// https://item.taobao.com/item.htm?id=1&skuId=2 <nil>
	// true
}

// Without TOP credentials the decoder is off and says so.
func ExampleNewTOPDecoder() {
	d := remote.NewTOPDecoder(remote.TOPConfig{}) // no AppKey/AppSecret
	_, err := d.Decode(context.Background(), "AbCdEf12345")
	fmt.Println(d.Enabled(), errors.Is(err, resolver.ErrNotConfigured))
	// Output: false true
}
