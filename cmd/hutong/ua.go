package main

import (
	"encoding/json"
	"io"

	"github.com/hutong-dev/hutong/internal/clientinfo"
)

func runUA(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	explain := false
	var uas []string
	for _, a := range args {
		switch a {
		case "-h", "--help":
			io.WriteString(stdout, "usage: hutong ua [--explain] [UA...]\n\nPrints one JSON object per User-Agent; reads stdin (one per line) when none is given.\n--explain adds \"explain\": which rule decided the app, OS and device, and why.\n")
			return errHelp
		case "--explain", "-explain":
			explain = true
		default:
			uas = append(uas, a)
		}
	}
	d := clientinfo.NewDetector(clientinfo.Config{})
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	return eachInput(uas, stdin, func(ua string) error {
		if explain {
			ex := clientinfo.Explain(ua)
			ex.Client.UA = ua
			return enc.Encode(struct {
				clientinfo.Client
				Explain clientinfo.Explanation `json:"explain"`
			}{ex.Client, ex})
		}
		c := d.Detect(ua)
		c.UA = ua
		return enc.Encode(c)
	})
}
