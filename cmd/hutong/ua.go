package main

import (
	"encoding/json"
	"io"

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
	return eachInput(args, stdin, func(ua string) error {
		c := d.Detect(ua)
		c.UA = ua
		return enc.Encode(c)
	})
}
