package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/resolver/remote"
)

// resolveOutput is one line of `hutong resolve`: the input plus the entity
// (field names fixed by DESIGN.md).
type resolveOutput struct {
	Input string `json:"input"`
	resolver.Entity
	// Expanded is the long URL a short link expanded to (--expand).
	Expanded string `json:"expanded,omitempty"`
	// Error says why --expand failed; the entity is still the short link.
	Error string `json:"error,omitempty"`
}

func runResolve(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hutong resolve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	expand := fs.Bool("expand", false, "expand m.tb.cn-style short links over the network (GET with a mobile UA)")
	timeout := fs.Duration("timeout", 3*time.Second, "per-link expansion timeout (with --expand)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hutong resolve [--expand] [INPUT...]\n\nPrints one JSON object per input; reads stdin (one input per line) when no INPUT is given.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return errHelp
		}
		return usageError{err.Error()}
	}
	var x resolver.Expander
	if *expand {
		x = remote.NewExpander(remote.ExpanderConfig{Timeout: *timeout})
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	return eachInput(fs.Args(), stdin, func(in string) error {
		return enc.Encode(resolveOne(ctx, in, x, *timeout))
	})
}

func resolveOne(ctx context.Context, in string, x resolver.Expander, timeout time.Duration) resolveOutput {
	out := resolveOutput{Input: in, Entity: resolver.Parse(in)}
	if x == nil || out.Kind != resolver.KindShort {
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	long, err := x.Expand(ctx, out.URL)
	if err != nil {
		out.Error = "expand: " + err.Error()
		return out
	}
	out.Expanded = long
	inner := resolver.Parse(long)
	if inner.Known() {
		inner.Tpwd = firstNonEmpty(inner.Tpwd, out.Tpwd)
		inner.Title = firstNonEmpty(inner.Title, out.Title)
		out.Entity = inner
	}
	return out
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
