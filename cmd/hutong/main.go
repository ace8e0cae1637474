// Command hutong is the hutong edge service and its command-line tools.
//
//	hutong serve [flags]          run the service (see --help)
//	hutong resolve [--expand] [INPUT...]
//	hutong ua [UA...]
//	hutong link create|get|list|delete|import|export|stats|update|disable|enable …
//	hutong qr TEXT-or-CODE -o FILE.png|svg
//	hutong keys create|list|revoke …
//	hutong domains list|add|block|unblock|retire …
//	hutong events --source URL [--since TIME|ID] [--follow] [--group NAME]
//
// Commands that take inputs read standard input, one per line, when none
// are given on the command line.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `hutong — Taobao/Tmall links, routed right inside WeChat and everywhere else.

Usage:
  hutong serve [flags]                  run the service (hutong serve --help)
  hutong resolve [--expand] [INPUT...]  what a link or share text points to (JSON lines)
  hutong ua [UA...]                     classify User-Agents (JSON lines)
  hutong link create|get|list|delete|import|export|stats|update|disable|enable [flags]
  hutong qr TEXT-or-CODE -o FILE.png|FILE.svg [flags]
  hutong keys create|list|revoke [flags]
  hutong logos add|list|rm [flags]      named QR logos of a running hutong
  hutong domains list|add|block|unblock|retire [flags]
                                        the domain pools of a running hutong
  hutong events --source URL [--since TIME|ID] [--follow] [--group NAME]
                                        print click events, one JSON object per line
  hutong healthcheck [--url URL]        exit 0 when a running hutong answers /healthz
  hutong version

Commands read standard input, one item per line, when given no arguments.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a subcommand and returns the process exit code:
// 0 success, 1 runtime failure, 2 usage error.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr)
	case "resolve":
		err = runResolve(ctx, args[1:], stdin, stdout, stderr)
	case "ua":
		err = runUA(args[1:], stdin, stdout, stderr)
	case "link":
		err = runLink(ctx, args[1:], stdin, stdout, stderr)
	case "qr":
		err = runQR(ctx, args[1:], stdout, stderr)
	case "keys":
		err = runKeys(ctx, args[1:], stdout, stderr)
	case "domains":
		err = runDomains(ctx, args[1:], stdout, stderr)
	case "logos":
		err = runLogos(ctx, args[1:], stdout, stderr)
	case "events":
		err = runEvents(ctx, args[1:], stdout, stderr)
	case "healthcheck":
		err = runHealthcheck(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "hutong", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "hutong: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "hutong:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "hutong:", err)
		return 1
	}
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// usageError marks a mistake in how a command was called (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

var errHelp = errors.New("help shown")

// eachInput calls fn for every command-line argument or, when there are
// none, for every non-blank line of stdin (lines up to 1 MiB).
func eachInput(args []string, stdin io.Reader, fn func(string) error) error {
	if len(args) > 0 {
		for _, a := range args {
			if err := fn(a); err != nil {
				return err
			}
		}
		return nil
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if err := fn(line); err != nil {
			return err
		}
	}
	return sc.Err()
}
