package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"
)

// runDomains: hutong domains list|add|block|unblock|retire, through the
// API of a running server.
func runDomains(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, args, err := subcommand(args, stdout, "domains", "list|add|block|unblock|retire", "talks to --server with --api-key (admin for changes)")
	if err != nil {
		return err
	}
	synopsis, ok := domainSynopsis[sub]
	if !ok {
		return usageError{fmt.Sprintf("unknown domains command %q (list, add, block, unblock, retire)", sub)}
	}
	fs := subcommandFlags("domains", sub, synopsis, stderr)
	client := newAPIClient(fs)
	// Each subcommand defines only its own flags, so its --help lists
	// only those.
	asJSON, reason, grace := new(bool), new(string), new(string)
	var pool, role, icp, status *string
	var prio *int
	switch sub {
	case "list":
		asJSON = fs.Bool("json", false, "print the API's JSON")
	case "add":
		pool = fs.String("pool", "", "pool (default: default)")
		role = fs.String("role", "", "entry (shared in chats; default), qr (printed codes only) or landing")
		prio = fs.Int("priority", 0, "lower is handed out first")
		icp = fs.String("icp", "", "ICP filing number, shown")
		status = fs.String("status", "", "active or standby (default: standby, a spare)")
	}
	if sub != "list" {
		reason = fs.String("reason", "", "why (kept in the domain's history, the log line and the webhook)")
	}
	if sub == "retire" {
		grace = fs.String("grace", "", "how long the host still serves taps before it answers 404 (default the server's --domain-retire-grace; 0 for at once)")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if want := map[bool]int{true: 0, false: 1}[sub == "list"]; fs.NArg() != want {
		return usageError{"usage: hutong domains " + sub + " " + synopsis}
	}
	c, err := client()
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		var out struct {
			Domains []struct {
				Host, Pool, Role, Status, ICP string
				Priority                      int
				Since                         time.Time
				LastVerdict                   string `json:"last_verdict"`
				StrikeCount                   int    `json:"strike_count"`
				Taps                          *int64 `json:"taps_last_hour"`
			}
			Pools []struct {
				Pool       string
				ShortHost  string `json:"short_host"`
				QRHost     string `json:"qr_host"`
				Healthy    int
				MinHealthy int  `json:"min_healthy"`
				BelowMin   bool `json:"below_min"`
			}
		}
		var raw bytes.Buffer
		if err := c.call(ctx, "GET", "/api/v1/domains", "", nil, &raw); err != nil {
			return err
		}
		if *asJSON {
			_, err := stdout.Write(raw.Bytes())
			return err
		}
		if err := json.Unmarshal(raw.Bytes(), &out); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "HOST\tPOOL\tROLE\tPRIO\tSTATUS\tSINCE\tLAST VERDICT\tSTRIKES(6mo)\tTAPS(1h)\tICP")
		for _, d := range out.Domains {
			taps := "-"
			if d.Taps != nil {
				taps = strconv.FormatInt(*d.Taps, 10)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%d\t%s\t%s\n", d.Host, d.Pool, d.Role, d.Priority, d.Status,
				d.Since.Format(time.RFC3339), dash(d.LastVerdict), d.StrikeCount, taps, dash(d.ICP))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, p := range out.Pools {
			warn := ""
			if p.BelowMin {
				warn = fmt.Sprintf("  BELOW --domain-min-healthy %d", p.MinHealthy)
			}
			qr := ""
			if p.QRHost != "" {
				qr = ", QR codes on " + p.QRHost
			}
			fmt.Fprintf(stdout, "pool %s: %d healthy, short URLs on %s%s%s\n", p.Pool, p.Healthy, dash(p.ShortHost), qr, warn)
		}
		return nil
	case "add":
		body := map[string]any{"host": fs.Arg(0), "priority": *prio}
		for k, v := range map[string]string{"pool": *pool, "role": *role, "icp": *icp, "status": *status, "reason": *reason} {
			if v != "" {
				body[k] = v
			}
		}
		return domainCall(ctx, c, "POST", "/api/v1/domains", body, stdout)
	}
	// block, unblock, retire
	body := map[string]any{"status": map[string]string{"block": "blocked", "unblock": "standby", "retire": "retired"}[sub]}
	if *reason != "" {
		body["reason"] = *reason
	}
	if *grace != "" {
		body["grace"] = *grace
	}
	return domainCall(ctx, c, "PATCH", "/api/v1/domains/"+url.PathEscape(fs.Arg(0)), body, stdout)
}

// domainSynopsis is each domains subcommand's usage line after its name.
var domainSynopsis = map[string]string{
	"list":    "[flags]",
	"add":     "[flags] HOST",
	"block":   "[flags] HOST",
	"unblock": "[flags] HOST",
	"retire":  "[--grace D] [flags] HOST",
}

func domainCall(ctx context.Context, c *apiClient, method, path string, body any, stdout io.Writer) error {
	b, _ := json.Marshal(body)
	var out map[string]any
	if err := c.call(ctx, method, path, "application/json", bytes.NewReader(b), &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", out["host"], out["status"])
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
