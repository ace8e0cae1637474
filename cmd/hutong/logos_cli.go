package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"text/tabwriter"
	"time"

	"github.com/hutong-dev/hutong/shortlink"
)

// runLogos manages the named QR logos of a running hutong through its API
// (PUT/GET/DELETE /api/v1/logos): with --api-key (admin for add and rm), or
// the local key of a serve on --data, so it works while serve holds the
// embedded store.
func runLogos(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, args, err := subcommand(args, stdout, "logos", "add|list|rm", "talks to --server with --api-key (admin for add and rm)")
	if err != nil {
		return err
	}
	fs := subcommandFlags("logos", sub, map[string]string{"add": "[flags] NAME FILE.png|FILE.jpg", "list": "[flags]", "rm": "[flags] NAME"}[sub], stderr)
	client := newAPIClient(fs)
	asJSON := false
	if sub == "list" {
		fs.BoolVar(&asJSON, "json", false, "print the API's JSON")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch sub {
	case "add":
		if fs.NArg() != 2 {
			return usageError{"usage: hutong logos add [flags] NAME FILE.png|FILE.jpg"}
		}
		name, file := fs.Arg(0), fs.Arg(1)
		if err := shortlink.CheckLogoName("NAME", name); err != nil {
			return usageError{err.Error()}
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		c, err := client()
		if err != nil {
			return err
		}
		var out shortlink.Logo
		if err := c.call(ctx, "PUT", "/api/v1/logos/"+url.PathEscape(name), http.DetectContentType(b), bytes.NewReader(b), &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "logo %s: %s %d×%d, %d bytes\n", out.Name, out.ContentType, out.Width, out.Height, out.Bytes)
		return nil
	case "list":
		if fs.NArg() != 0 {
			return usageError{"usage: hutong logos list [flags]"}
		}
		c, err := client()
		if err != nil {
			return err
		}
		var raw bytes.Buffer
		if err := c.call(ctx, "GET", "/api/v1/logos", "", nil, &raw); err != nil {
			return err
		}
		if asJSON {
			_, err := stdout.Write(raw.Bytes())
			return err
		}
		var out struct {
			Logos []shortlink.Logo `json:"logos"`
		}
		if err := json.Unmarshal(raw.Bytes(), &out); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tTYPE\tPIXELS\tBYTES\tUPDATED")
		for _, l := range out.Logos {
			fmt.Fprintf(tw, "%s\t%s\t%d×%d\t%d\t%s\n", l.Name, l.ContentType, l.Width, l.Height, l.Bytes, l.UpdatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	case "rm":
		if fs.NArg() != 1 {
			return usageError{"usage: hutong logos rm [flags] NAME"}
		}
		c, err := client()
		if err != nil {
			return err
		}
		if err := c.call(ctx, "DELETE", "/api/v1/logos/"+url.PathEscape(fs.Arg(0)), "", nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed logo %s (links that named it use the install-wide logo)\n", fs.Arg(0))
		return nil
	}
	return usageError{fmt.Sprintf("unknown logos command %q: want add, list or rm", sub)}
}
