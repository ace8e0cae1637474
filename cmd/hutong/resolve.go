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
// (field names fixed by DESIGN.md; tpwd and canonical are always present).
//
// A Taobao link found inside a non-Taobao wrapper URL (a redirector, a
// shopping agent) is reported as the corpus labels it: the input itself is
// platform/kind unknown, the Taobao entity is in "embedded", and "via" names
// the wrapper host. (hutong routes such an input to the embedded entity.)
type resolveOutput struct {
	Input string `json:"input"`
	resolver.Entity
	Tpwd      string           `json:"tpwd"`
	Canonical string           `json:"canonical"`
	Embedded  *resolver.Entity `json:"embedded,omitempty"`
	// Expanded is the long URL a short link expanded to, Decoded what a
	// 淘口令 decoded to (--expand).
	Expanded string `json:"expanded,omitempty"`
	// Error says why --expand failed; the entity is then what the text
	// itself says.
	Error string `json:"error,omitempty"`
	// Explain names the rule that decided the entity (--explain).
	Explain string `json:"explain,omitempty"`
}

func newResolveOutput(in string, e resolver.Entity) resolveOutput {
	out := resolveOutput{Input: in, Entity: e}
	if e.Via != "" {
		inner := e
		out.Entity = resolver.Entity{Platform: resolver.PlatformUnknown, Kind: resolver.KindUnknown, IDType: resolver.IDNone, Via: e.Via}
		out.Embedded = &inner
	}
	out.Tpwd, out.Canonical = out.Entity.Tpwd, out.Entity.Canonical
	return out
}

func runResolve(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hutong resolve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	expand := fs.Bool("expand", false, "expand m.tb.cn-style short links over the network (GET with a mobile UA)")
	timeout := fs.Duration("timeout", 3*time.Second, "per-link expansion timeout (with --expand)")
	expandBase := fs.String("expand-base-url", env("HUTONG_EXPAND_BASE_URL", ""), "send expansion requests to this origin (a proxy or a test server) [$HUTONG_EXPAND_BASE_URL]")
	topKey := fs.String("top-app-key", env("HUTONG_TOP_APP_KEY", ""), "Taobao Open Platform app key: with --expand, decode bare 淘口令 tokens [$HUTONG_TOP_APP_KEY]")
	topSecret := fs.String("top-app-secret", env("HUTONG_TOP_APP_SECRET", ""), "Taobao Open Platform app secret [$HUTONG_TOP_APP_SECRET]")
	explain := fs.Bool("explain", false, "add \"explain\": the rule that decided the entity, and why")
	topGateway := fs.String("top-gateway", env("HUTONG_TOP_GATEWAY", ""), "Taobao Open Platform gateway URL [$HUTONG_TOP_GATEWAY]")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hutong resolve [--expand] [--explain] [INPUT...]\n\nPrints one JSON object per input; reads stdin (one input per line) when no INPUT is given.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return errHelp
		}
		return usageError{err.Error()}
	}
	var x resolver.Expander
	var dec resolver.PasswordDecoder
	if *expand {
		x = remote.NewExpander(remote.ExpanderConfig{Timeout: *timeout, BaseURL: *expandBase})
		dec = remote.NewTOPDecoder(remote.TOPConfig{AppKey: *topKey, AppSecret: *topSecret, GatewayURL: *topGateway})
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	n, failed := 0, 0
	err := eachInput(fs.Args(), stdin, func(in string) error {
		out := resolveOne(ctx, in, x, dec, *timeout)
		if *explain {
			_, out.Explain = resolver.Explain(in)
		}
		n++
		if out.Error != "" {
			failed++
		}
		return enc.Encode(out)
	})
	if err == nil && failed > 0 {
		// Every input still got its line; the exit status tells a script
		// that some lookups failed.
		err = fmt.Errorf("resolve --expand: %d of %d inputs could not be looked up (see each line's error)", failed, n)
	}
	return err
}

func resolveOne(ctx context.Context, in string, x resolver.Expander, dec resolver.PasswordDecoder, timeout time.Duration) resolveOutput {
	e := resolver.Parse(in)
	if x == nil {
		return newResolveOutput(in, e)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deep, long, err := resolver.Deepen(ctx, e, x, dec)
	out := newResolveOutput(in, deep) // on error, what the text itself says
	if err != nil {
		out.Error = err.Error()
	}
	out.Expanded = long
	return out
}
