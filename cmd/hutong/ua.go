package main

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"

	"github.com/hutong-dev/hutong/internal/clientinfo"
)

func runUA(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "--help" {
			io.WriteString(stdout, "usage: hutong ua [UA...]\n\nPrints one JSON object per User-Agent; reads stdin (one per line) when none is given.\n")
			return errHelp
		}
	}
	d := clientinfo.NewDetector(clientinfo.Config{})
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	one := func(ua string) error {
		c := d.Detect(ua)
		c.UA = ua
		return enc.Encode(c)
	}
	if len(args) > 0 {
		for _, ua := range args {
			if err := one(ua); err != nil {
				return err
			}
		}
		return nil
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		if err := one(line); err != nil {
			return err
		}
	}
	return sc.Err()
}
