package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
	"github.com/hutong-dev/hutong/shortlink/qr"
	"github.com/hutong-dev/hutong/shortlink/redisstore"
)

// env reads HUTONG_* defaults for the CLI's own flags.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// parseFlags parses args allowing flags after positional arguments
// (`hutong qr CODE -o x.png`); the positionals end up in fs.Args(). A "--"
// ends flag parsing.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return errHelp
			}
			return usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	// Re-parse nothing: leave the positionals as fs.Args().
	return fs.Parse(append([]string{"--"}, pos...))
}

// linkSynopsis is each link subcommand's usage line after its name: the
// required arguments in capitals.
var linkSynopsis = map[string]string{
	"create":  "[flags] TARGET (a Taobao/Tmall link, short link or share text)",
	"get":     "[flags] CODE",
	"delete":  "[flags] CODE",
	"list":    "[flags]",
	"import":  "[flags] FILE.csv|FILE.jsonl (- for stdin)",
	"export":  "[--format csv|jsonl] [--sort -created|-clicks|code] [--tag T] [--campaign C] [--q Q] [-o FILE]",
	"stats":   "[flags] CODE (or --campaign NAME)",
	"update":  "[flags] CODE (only the flags given change)",
	"disable": "[--domain D] CODE...",
	"enable":  "[--domain D] CODE...",
}

// withUsage makes fs's --help print "usage: LINE" and then only fs's own
// flags.
func withUsage(fs *flag.FlagSet, w io.Writer, line string) {
	fs.Usage = func() {
		fmt.Fprintf(w, "usage: %s\n\nflags:\n", strings.TrimSpace(line))
		fs.PrintDefaults()
	}
}

// subcommand splits "hutong NAME SUB args…": it prints usage for -h, --help
// or help, and is a usage error when SUB is missing.
func subcommand(args []string, stdout io.Writer, name, subs, how string) (string, []string, error) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(stdout, "usage: hutong %s %s [flags] (%s; hutong %s SUB --help for a command's flags)\n", name, subs, how, name)
		if len(args) == 0 {
			return "", nil, usageError{"a " + name + " command is needed"}
		}
		return "", nil, errHelp
	}
	return args[0], args[1:], nil
}

// apiClient talks to a running hutong over its API.
type apiClient struct {
	base, key string
	http      *http.Client
}

// subcommandFlags is the flag set of "hutong GROUP SUB": errors and
// --help to stderr, the usage line "hutong GROUP SUB synopsis".
func subcommandFlags(group, sub, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hutong "+group+" "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	withUsage(fs, stderr, "hutong "+group+" "+sub+" "+synopsis)
	return fs
}

func newAPIClient(fs *flag.FlagSet) func() (*apiClient, error) {
	server := fs.String("server", env("HUTONG_SERVER", "http://127.0.0.1:8080"), "hutong server to talk to [$HUTONG_SERVER]")
	key := fs.String("api-key", env("HUTONG_API_KEY", ""), "API key [$HUTONG_API_KEY] (default: the local key of a serve running on --data)")
	data := fs.String("data", env("HUTONG_DATA", "./data"), "with no --api-key: talk to the serve running on this embedded store directory [$HUTONG_DATA]")
	return func() (*apiClient, error) {
		if *key == "" {
			ctl, err := readControl(*data)
			if err != nil {
				return nil, usageError{"an API key is needed: --api-key KEY or HUTONG_API_KEY (create one with `hutong keys create`), or run this next to `hutong serve --data " + *data + "`"}
			}
			return &apiClient{base: ctl.URL, key: ctl.Key, http: &http.Client{Timeout: 2 * time.Minute}}, nil
		}
		return &apiClient{base: strings.TrimRight(*server, "/"), key: *key, http: &http.Client{Timeout: 2 * time.Minute}}, nil
	}
}

// call sends a request and decodes a JSON answer into out (nil: ignore).
// API errors come back as Go errors with the server's message.
func (c *apiClient) call(ctx context.Context, method, path, ctype string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s (%s, HTTP %d)", e.Error.Message, e.Error.Code, resp.StatusCode)
		}
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if w, ok := out.(io.Writer); ok {
		_, err := w.Write(b)
		return err
	}
	return json.Unmarshal(b, out)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// runLink: hutong link create|get|list|delete|import, through the API of a
// running server (the embedded store's file is locked while it runs).
func runLink(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	sub, args, err := subcommand(args, stdout, "link", "create|get|list|delete|import|export|stats|update|disable|enable", "talks to --server with --api-key, or to the serve running on --data")
	if err != nil {
		return err
	}
	fs := subcommandFlags("link", sub, linkSynopsis[sub], stderr)
	client := newAPIClient(fs)
	switch sub {
	case "create":
		alias := fs.String("alias", "", "custom code")
		tags := fs.String("tags", "", "tags separated by ; or | (or commas when neither is used)")
		campaign := fs.String("campaign", "", "campaign")
		expires := fs.String("expires", "", "expiry: RFC 3339 time or a duration such as 72h")
		maxClicks := fs.Int64("max-clicks", 0, "click cap (0: none)")
		buyNow := fs.Bool("buy-now", false, "send item taps to checkout")
		sku := fs.String("sku", "", "SKU for --buy-now")
		qty := fs.Int("qty", 0, "quantity for --buy-now")
		preferWeb := fs.Bool("prefer-web", false, "plain redirect instead of the app interstitial")
		wechatGuide := fs.Bool("wechat-tpwd-guide", false, "WeChat/WeCom taps get a page with the link's 淘口令 and a copy button instead of the 302 to the H5 page (with --tpwd)")
		title := fs.String("title", "", "preview title (default: the share text's)")
		qrLogo := fs.String("qr-logo", "", "name of a stored logo for the link's QR code (hutong logos add)")
		domain := fs.String("domain", "", "short domain of the link (one of serve's --domains)")
		utm := fs.String("utm", "", "UTM parameters added to the destination: utm_source=wechat,utm_medium=group")
		var tpwd tpwdFlag
		fs.Var(&tpwd, "tpwd", "give the link a 淘口令: --tpwd mints one through the Taobao Open Platform (TARGET must be an Alimama promotion link), --tpwd=optional mints one if it can, --tpwd='￥…￥' stores your own")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usageError{"usage: hutong link create [flags] TARGET (a Taobao/Tmall link, short link or share text)"}
		}
		body := map[string]any{"target": fs.Arg(0)}
		if *alias != "" {
			body["alias"] = *alias
		}
		if *tags != "" {
			body["tags"] = splitTags(*tags)
		}
		if *title != "" {
			body["title"] = *title
		}
		if *qrLogo != "" {
			body["qr_logo"] = *qrLogo
		}
		if *domain != "" {
			body["domain"] = *domain
		}
		if *utm != "" {
			m := map[string]string{}
			for _, kv := range strings.Split(*utm, ",") {
				k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
				if !ok || k == "" {
					return usageError{"--utm: want name=value pairs separated by commas, e.g. utm_source=wechat,utm_medium=group"}
				}
				m[k] = v
			}
			body["utm"] = m
		}
		if *campaign != "" {
			body["campaign"] = *campaign
		}
		if *expires != "" {
			t, err := time.Parse(time.RFC3339, *expires)
			if err != nil {
				d, derr := time.ParseDuration(*expires)
				if derr != nil {
					return usageError{"--expires: want an RFC 3339 time or a duration such as 72h"}
				}
				t = time.Now().Add(d)
			}
			body["expires_at"] = t.Format(time.RFC3339)
		}
		if *maxClicks > 0 {
			body["max_clicks"] = *maxClicks
		}
		if v, ok := tpwd.value(); ok {
			body["tpwd"] = v
		}
		if *buyNow || *preferWeb || *wechatGuide {
			body["route"] = map[string]any{"buy_now": *buyNow, "sku": *sku, "quantity": *qty, "prefer_web": *preferWeb,
				"wechat_tpwd_guide": *wechatGuide}
		}
		c, err := client()
		if err != nil {
			return err
		}
		b, _ := json.Marshal(body)
		var out map[string]any
		if err := c.call(ctx, "POST", "/api/v1/links", "application/json", bytes.NewReader(b), &out); err != nil {
			return err
		}
		return printJSON(stdout, out)
	case "get", "delete":
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usageError{"usage: hutong link " + sub + " [flags] CODE"}
		}
		c, err := client()
		if err != nil {
			return err
		}
		path := "/api/v1/links/" + url.PathEscape(fs.Arg(0))
		if sub == "delete" {
			if err := c.call(ctx, "DELETE", path, "", nil, nil); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "deleted", fs.Arg(0))
			return nil
		}
		var out map[string]any
		if err := c.call(ctx, "GET", path, "", nil, &out); err != nil {
			return err
		}
		return printJSON(stdout, out)
	case "list":
		tag := fs.String("tag", "", "only links with this tag")
		campaign := fs.String("campaign", "", "only links of this campaign")
		q := fs.String("q", "", "substring of code, target or title")
		all := fs.Bool("all", false, "follow cursors to the end")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		c, err := client()
		if err != nil {
			return err
		}
		v := url.Values{}
		for k, p := range map[string]*string{"tag": tag, "campaign": campaign, "q": q} {
			if *p != "" {
				v.Set(k, *p)
			}
		}
		for {
			var page struct {
				Links []json.RawMessage `json:"links"`
				Next  string            `json:"next"`
			}
			if err := c.call(ctx, "GET", "/api/v1/links?"+v.Encode(), "", nil, &page); err != nil {
				return err
			}
			for _, l := range page.Links {
				fmt.Fprintln(stdout, string(l))
			}
			if !*all || page.Next == "" {
				if page.Next != "" {
					fmt.Fprintln(stderr, "more: --all, or the API with cursor="+page.Next)
				}
				return nil
			}
			v.Set("cursor", page.Next)
		}
	case "import":
		asCSV := fs.Bool("csv-out", false, "print per-row results as CSV")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usageError{"usage: hutong link import [flags] FILE.csv|FILE.jsonl (- for stdin)"}
		}
		var data []byte
		var err error
		if fs.Arg(0) == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(fs.Arg(0))
		}
		if err != nil {
			return err
		}
		ctype := "application/x-ndjson"
		if strings.HasSuffix(strings.ToLower(fs.Arg(0)), ".csv") {
			ctype = "text/csv"
		}
		c, err := client()
		if err != nil {
			return err
		}
		req, _ := http.NewRequestWithContext(ctx, "POST", c.base+"/api/v1/links/bulk", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+c.key)
		req.Header.Set("Content-Type", ctype)
		if *asCSV {
			req.Header.Set("Accept", "text/csv")
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if _, err := stdout.Write(b); err != nil {
			return err
		}
		if resp.StatusCode >= 400 {
			return fmt.Errorf("import failed: HTTP %d", resp.StatusCode)
		}
		failed, total, err := importFailures(b, *asCSV)
		if err != nil {
			return err
		}
		if failed > 0 {
			return fmt.Errorf("import: %d of %d rows failed (the others were created; see each row's error)", failed, total)
		}
		return nil
	}
	if f := linkMore[sub]; f != nil { // link_more.go
		return f(ctx, fs, client, args, stdout)
	}
	return usageError{fmt.Sprintf("unknown link command %q: want create, get, list, delete, import, export, stats, update, disable or enable", sub)}
}

// runQR writes the QR code of a URL, or of a short code's URL on
// --base-url, to a PNG or SVG file. It needs no server.
func runQR(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hutong qr", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "output file, .png or .svg (required)")
	base := fs.String("base-url", env("HUTONG_BASE_URL", ""), "public base URL for a bare CODE, e.g. https://hut.ong [$HUTONG_BASE_URL]")
	size := fs.String("size", "", "pixels (64–2048, default 256)")
	level := fs.String("level", "", "error correction L, M, Q or H (default M)")
	margin := fs.String("margin", "", "quiet zone in modules (0–16, default 4)")
	fg := fs.String("fg", "", "foreground colour #rrggbb")
	bg := fs.String("bg", "", "background colour #rrggbb")
	logo := fs.String("logo", "", "PNG/JPEG logo for the centre (raises error correction to H)")
	caption := fs.String("caption", "", "text under the code, in a frame: wechat (微信扫一扫), taobao (打开淘宝扫一扫), tmall, alipay, or up to 24 characters")
	frame := fs.Bool("frame", false, "draw a thin frame around the code (always drawn with --caption)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *out == "" {
		return usageError{"usage: hutong qr TEXT-or-CODE -o FILE.png|FILE.svg [--base-url URL] [--size N] [--level L|M|Q|H] [--fg #000000] [--bg #ffffff] [--logo FILE] [--caption wechat|TEXT] [--frame]"}
	}
	text := fs.Arg(0)
	if !strings.Contains(text, "://") {
		if shortlink.ValidateCode(text) != nil {
			return usageError{fmt.Sprintf("%q is neither a URL nor a short code", text)}
		}
		if *base == "" {
			return usageError{"a bare code needs --base-url (or HUTONG_BASE_URL), e.g. https://hut.ong"}
		}
		text = strings.TrimRight(*base, "/") + "/" + text
	}
	vals := map[string]string{"size": *size, "level": *level, "margin": *margin, "fg": *fg, "bg": *bg, "caption": *caption}
	if *frame {
		vals["frame"] = "1"
	}
	o, err := qr.ParseOptions(func(k string) string { return vals[k] })
	if err != nil {
		return usageError{err.Error()}
	}
	if *logo != "" {
		if o.Logo, o.LogoID, err = loadLogo(*logo); err != nil {
			return err
		}
	}
	var b []byte
	switch strings.ToLower(filepath.Ext(*out)) {
	case ".png":
		b, err = qr.PNG(text, o)
	case ".svg":
		b, err = qr.SVG(text, o)
	default:
		return usageError{"-o: the file name must end in .png or .svg"}
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: QR code of %s (%d bytes)\n", *out, text, len(b))
	return nil
}

// runKeys manages API keys directly in the store (--data or --redis, as
// for serve). With the embedded store, run it while serve is stopped (the
// file is locked), or use the keys API with an admin key.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, args, err := subcommand(args, stdout, "keys", "create|list|revoke", "opens the store: --data or --redis")
	if err != nil {
		return err
	}
	fs := subcommandFlags("keys", sub, map[string]string{"create": "--name NAME [--scopes read,write,admin]", "list": "[flags]", "revoke": "[flags] KEY-ID"}[sub], stderr)
	data := fs.String("data", env("HUTONG_DATA", "./data"), "embedded store directory [$HUTONG_DATA]")
	redisURL := fs.String("redis", env("HUTONG_REDIS", ""), "Redis URL (instead of --data) [$HUTONG_REDIS]")
	name, scopes := new(string), new(string) // create's own flags
	if sub == "create" {
		name = fs.String("name", "", "key name")
		scopes = fs.String("scopes", "read,write", "comma-separated scopes: read, write, admin")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var st shortlink.Store
	if *redisURL != "" {
		rdb, err := redisconn.New(*redisURL, redisconn.Config{})
		if err != nil {
			return fmt.Errorf("--redis: %w", err)
		}
		defer rdb.Close()
		st = redisstore.New(rdb, redisstore.Options{})
	} else {
		bs, err := boltstore.Open(filepath.Join(*data, "links.db"), boltstore.Options{Timeout: time.Second})
		if err != nil {
			// A serve holds the file: go through its API with the local
			// key it left in the control file.
			ctl, cerr := readControl(*data)
			if cerr != nil {
				return fmt.Errorf("%w (a process holds %s but left no %s: is it an older hutong serve? stop it, or use the keys API with an admin key)", err, filepath.Join(*data, "links.db"), controlFile)
			}
			c := &apiClient{base: ctl.URL, key: ctl.Key, http: &http.Client{Timeout: 30 * time.Second}}
			return keysOverAPI(ctx, c, sub, fs.Args(), *name, *scopes, stdout)
		}
		st = bs
	}
	defer st.Close()
	switch sub {
	case "create":
		if *name == "" {
			return usageError{"--name is required"}
		}
		var sc []shortlink.Scope
		for _, s := range strings.Split(*scopes, ",") {
			sc = append(sc, shortlink.Scope(strings.TrimSpace(s)))
		}
		secret := shortlink.NewSecret()
		k, err := shortlink.NewAPIKey(secret, *name, sc, time.Now())
		if err != nil {
			return err
		}
		if err := st.CreateKey(ctx, k); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created key %s (%s) with scopes %s\nsecret (shown once): %s\n", k.ID, k.Name, *scopes, secret)
		return nil
	case "list":
		keys, err := st.ListKeys(ctx)
		if err != nil {
			return err
		}
		printKeys(stdout, keys)
		return nil
	case "revoke":
		if fs.NArg() != 1 {
			return usageError{"usage: hutong keys revoke [flags] KEY-ID"}
		}
		if err := st.RevokeKey(ctx, fs.Arg(0), time.Now()); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "revoked", fs.Arg(0))
		return nil
	}
	return usageError{fmt.Sprintf("unknown keys command %q: want create, list or revoke", sub)}
}

// tpwdFlag is --tpwd: a boolean flag (--tpwd) that also takes a value
// (--tpwd=optional, --tpwd='￥…￥').
type tpwdFlag struct {
	set bool
	v   string
}

func (f *tpwdFlag) String() string   { return f.v }
func (f *tpwdFlag) IsBoolFlag() bool { return true }
func (f *tpwdFlag) Set(s string) error {
	f.set, f.v = true, s
	return nil
}

// value is the request's "tpwd": true, false, or the string given.
func (f *tpwdFlag) value() (any, bool) {
	if !f.set {
		return nil, false
	}
	switch strings.ToLower(strings.TrimSpace(f.v)) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no", "":
		return false, true
	}
	return f.v, true
}
