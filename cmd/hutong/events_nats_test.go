package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
	"github.com/hutong-dev/hutong/internal/testnats"
	"github.com/hutong-dev/hutong/internal/track"
)

// TestEventsNATS: taps through a hutong whose event log is a real
// JetStream server, then `hutong events --source nats://… --since 0`
// prints each exactly once; stats stay in the embedded store.
func TestEventsNATS(t *testing.T) {
	ns := testnats.Start(t)
	m, base := testMain(t, func(c *config.Serve) {
		c.InitialAPIKey = adminKey
		c.EventsURL = ns.URL()
		c.EventFlushInterval = 20 * time.Millisecond
	})
	a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao})
	var l apiLink
	decodeJSON(t, a.Body, &l)
	const n = 300
	for i := range n {
		if r := get(t, base+"/"+l.Code+"?gdt_vid=g"+string(rune('a'+i%26)), corpusUA(t, "wechat/ios")); r.Status != 302 {
			t.Fatalf("tap %d: %d", i, r.Status)
		}
	}
	waitEvents(t, m, n)
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if code := run(ctx, []string{"events", "--source", ns.URL(), "--since", "0"}, nil, &out, &errb); code != 0 {
		t.Fatalf("events: exit %d: %s", code, errb.String())
	}
	ids := map[string]bool{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev track.LoggedEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ids[ev.ID] || ev.ClickIDs["gdt_vid"] == "" {
			t.Fatalf("line %q: %v (twice, or no click ID)", sc.Text(), err)
		}
		ids[ev.ID] = true
	}
	if len(ids) != n {
		t.Fatalf("%d events from nats; want %d", len(ids), n)
	}
	for _, args := range [][]string{{"--group", "g"}, {"--since", "2h"}} {
		errb.Reset()
		if code := run(ctx, append([]string{"events", "--source", ns.URL()}, args...), nil, &out, &errb); code != 2 {
			t.Errorf("events %v over nats: exit %d (%s); want a usage error", args, code, errb.String())
		}
	}
}
