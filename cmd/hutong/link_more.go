package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// linkMore are the link subcommands beyond create|get|list|delete|import;
// each defines its own flags on fs (which already has --server, --api-key
// and --data).
var linkMore = map[string]func(ctx context.Context, fs *flag.FlagSet, client func() (*apiClient, error), args []string, stdout io.Writer) error{
	"export": runLinkExport,
	"stats":  runLinkStats,
	"update": runLinkUpdate,
	"disable": func(ctx context.Context, fs *flag.FlagSet, client func() (*apiClient, error), args []string, stdout io.Writer) error {
		return runLinkToggle(ctx, fs, client, args, stdout, true)
	},
	"enable": func(ctx context.Context, fs *flag.FlagSet, client func() (*apiClient, error), args []string, stdout io.Writer) error {
		return runLinkToggle(ctx, fs, client, args, stdout, false)
	},
}

// stream sends a GET and copies a successful answer's body to w as it
// arrives (exports may be large); errors as call.
func (c *apiClient) stream(ctx context.Context, path, accept string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	hc := *c.http
	hc.Timeout = 0 // the body may take long; ctx ends it
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s (%s, HTTP %d)", e.Error.Message, e.Error.Code, resp.StatusCode)
		}
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// runLinkExport: hutong link export [--format csv|jsonl] [--sort S]
// [--tag T] [--campaign C] [--q Q] [-o FILE].
func runLinkExport(ctx context.Context, fs *flag.FlagSet, client func() (*apiClient, error), args []string, stdout io.Writer) error {
	format := fs.String("format", "csv", "csv or jsonl")
	sortBy := fs.String("sort", "", "order: -created, created, -clicks, clicks, code, -code (default: code)")
	tag := fs.String("tag", "", "only links with this tag")
	campaign := fs.String("campaign", "", "only links of this campaign")
	q := fs.String("q", "", "substring of code, target or title")
	out := fs.String("o", "", "write to FILE instead of standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || (*format != "csv" && *format != "jsonl") {
		return usageError{"usage: hutong link export [--format csv|jsonl] [--sort -created|-clicks|code] [--tag T] [--campaign C] [--q Q] [-o FILE]"}
	}
	c, err := client()
	if err != nil {
		return err
	}
	v := url.Values{"format": {*format}}
	for k, p := range map[string]*string{"sort": sortBy, "tag": tag, "campaign": campaign, "q": q} {
		if *p != "" {
			v.Set(k, *p)
		}
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := c.stream(ctx, "/api/v1/links?"+v.Encode(), "", w); err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && f != os.Stdout {
		return f.Close()
	}
	return nil
}

// runLinkStats: hutong link stats [--from D] [--to D] [--by day|hour]
// [--csv] CODE, or --campaign NAME instead of CODE.
func runLinkStats(ctx context.Context, fs *flag.FlagSet, client func() (*apiClient, error), args []string, stdout io.Writer) error {
	from := fs.String("from", "", "start: a date (2026-11-25, UTC+8) or an RFC 3339 time (default: 30 days ago)")
	to := fs.String("to", "", "end (default: now)")
	by := fs.String("by", "day", "buckets: day or hour")
	campaign := fs.String("campaign", "", "a campaign's stats instead of one link's")
	asCSV := fs.Bool("csv", false, "print CSV instead of JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var path string
	switch {
	case *campaign != "" && fs.NArg() == 0:
		path = "/api/v1/campaigns/" + url.PathEscape(*campaign) + "/stats"
	case *campaign == "" && fs.NArg() == 1:
		path = "/api/v1/links/" + url.PathEscape(fs.Arg(0)) + "/stats"
	default:
		return usageError{"usage: hutong link stats [--from DATE] [--to DATE] [--by day|hour] [--csv] CODE (or --campaign NAME)"}
	}
	v := url.Values{"by": {*by}}
	if *from != "" {
		v.Set("from", *from)
	}
	if *to != "" {
		v.Set("to", *to)
	}
	if *asCSV {
		v.Set("format", "csv")
	}
	c, err := client()
	if err != nil {
		return err
	}
	if *asCSV {
		return c.stream(ctx, path+"?"+v.Encode(), "", stdout)
	}
	var st map[string]any
	if err := c.call(ctx, "GET", path+"?"+v.Encode(), "", nil, &st); err != nil {
		return err
	}
	return printJSON(stdout, st)
}

// runLinkUpdate: hutong link update [flags] CODE, sending only the flags
// given.
func runLinkUpdate(ctx context.Context, fs *flag.FlagSet, client func() (*apiClient, error), args []string, stdout io.Writer) error {
	target := fs.String("target", "", "new target (a Taobao/Tmall link, short link or share text)")
	title := fs.String("title", "", "preview title")
	desc := fs.String("description", "", "preview description")
	tags := fs.String("tags", "", "tags, separated by ; or | (replaces the list; \"\" clears)")
	campaign := fs.String("campaign", "", "campaign (\"\" clears)")
	expires := fs.String("expires", "", "expiry: RFC 3339 time, a duration such as 72h, or none")
	maxClicks := fs.Int64("max-clicks", 0, "click cap (0: none)")
	domain := fs.String("domain", "", "the link's short domain (when not the default)")
	qrLogo := fs.String("qr-logo", "", "name of a stored logo for the link's QR code (\"\" clears: the install-wide logo)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: hutong link update [--target T] [--title T] [--tags a;b] [--campaign C] [--expires 72h|none] [--max-clicks N] [--qr-logo NAME] CODE"}
	}
	body := map[string]any{}
	var bad error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "target":
			body["target"] = *target
		case "title":
			body["title"] = *title
		case "description":
			body["description"] = *desc
		case "tags":
			body["tags"] = splitTags(*tags)
		case "campaign":
			body["campaign"] = *campaign
		case "qr-logo":
			body["qr_logo"] = *qrLogo
		case "max-clicks":
			body["max_clicks"] = *maxClicks
		case "expires":
			if *expires == "none" || *expires == "" {
				body["expires_at"] = nil
				return
			}
			t, err := parseExpiry(*expires)
			if err != nil {
				bad = err
			}
			body["expires_at"] = t
		}
	})
	if bad != nil {
		return bad
	}
	if len(body) == 0 {
		return usageError{"nothing to change: give at least one of --target, --title, --description, --tags, --campaign, --expires, --max-clicks"}
	}
	return patchLink(ctx, client, fs.Arg(0), *domain, body, stdout)
}

// runLinkToggle: hutong link disable|enable CODE...
func runLinkToggle(ctx context.Context, fs *flag.FlagSet, client func() (*apiClient, error), args []string, stdout io.Writer, disabled bool) error {
	domain := fs.String("domain", "", "the links' short domain (when not the default)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	verb := "enable"
	if disabled {
		verb = "disable"
	}
	if fs.NArg() == 0 {
		return usageError{"usage: hutong link " + verb + " [--domain D] CODE..."}
	}
	for _, code := range fs.Args() {
		if err := patchLink(ctx, client, code, *domain, map[string]any{"disabled": disabled}, io.Discard); err != nil {
			return fmt.Errorf("%s: %w", code, err)
		}
		fmt.Fprintf(stdout, "%sd %s\n", verb, code)
	}
	return nil
}

func patchLink(ctx context.Context, client func() (*apiClient, error), code, domain string, body map[string]any, stdout io.Writer) error {
	c, err := client()
	if err != nil {
		return err
	}
	path := "/api/v1/links/" + url.PathEscape(code)
	if domain != "" {
		path += "?domain=" + url.QueryEscape(domain)
	}
	b, _ := json.Marshal(body)
	var out map[string]any
	if err := c.call(ctx, "PATCH", path, "application/json", bytes.NewReader(b), &out); err != nil {
		return err
	}
	return printJSON(stdout, out)
}

// splitTags splits a --tags value on ";" or "|" (the separators bulk
// import uses, so a tag may hold a comma); "," is accepted too when the
// value has neither.
func splitTags(v string) []string {
	sep := func(r rune) bool { return r == ';' || r == '|' }
	if !strings.ContainsAny(v, ";|") {
		sep = func(r rune) bool { return r == ',' }
	}
	out := []string{}
	for _, t := range strings.FieldsFunc(v, sep) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func parseExpiry(v string) (string, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		d, derr := time.ParseDuration(v)
		if derr != nil {
			return "", usageError{"--expires: want an RFC 3339 time or a duration such as 72h"}
		}
		t = time.Now().Add(d)
	}
	return t.Format(time.RFC3339), nil
}

// importFailures counts the rows of a bulk import's answer (JSON, or CSV
// with an error column) that failed.
func importFailures(body []byte, csvOut bool) (failed, total int, err error) {
	if csvOut {
		recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil || len(recs) == 0 {
			return 0, 0, fmt.Errorf("import: the answer is not CSV: %v", err)
		}
		col := -1
		for i, h := range recs[0] {
			if h == "error" {
				col = i
			}
		}
		for _, r := range recs[1:] {
			if col >= 0 && col < len(r) && r[col] != "" {
				failed++
			}
		}
		return failed, len(recs) - 1, nil
	}
	var out struct {
		Created, Failed int
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return 0, 0, fmt.Errorf("import: the answer is not JSON: %v", err)
	}
	return out.Failed, out.Created + out.Failed, nil
}
