package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

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
	for _, args := range [][]string{{"--group", "a.b"}, {"--since", "nonsense"}} {
		errb.Reset()
		if code := run(ctx, append([]string{"events", "--source", ns.URL()}, args...), nil, &out, &errb); code != 2 {
			t.Errorf("events %v over nats: exit %d (%s); want a usage error", args, code, errb.String())
		}
	}
}

// eventsOut runs hutong events with args and returns the event IDs it
// printed, failing on a line printed twice.
func eventsOut(t *testing.T, args ...string) map[string]bool {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if code := run(ctx, append([]string{"events"}, args...), nil, &out, &errb); code != 0 {
		t.Fatalf("events %v: exit %d: %s", args, code, errb.String())
	}
	ids := map[string]bool{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev track.LoggedEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ids[ev.ID] || ev.ID == "" {
			t.Fatalf("events %v: line %q: %v (twice, or no id)", args, sc.Text(), err)
		}
		ids[ev.ID] = true
	}
	return ids
}

// TestEventsNATSTwoInstances: two hutong instances publish to one stream
// (subjects hutong.events.a and .b); after N taps through both,
// `hutong events --since 0` prints exactly N clicks, a --group prints
// them once and then nothing (acked), and --since with a time starts by
// time.
func TestEventsNATSTwoInstances(t *testing.T) {
	ns := testnats.Start(t)
	var ms []*Main
	var bases []string
	for _, inst := range []string{"a", "b"} {
		m, base := testMain(t, func(c *config.Serve) {
			c.InitialAPIKey = adminKey
			c.EventsURL = ns.URL()
			c.EventsInstance = inst
			c.EventFlushInterval = 20 * time.Millisecond
		})
		// The same alias on both (each has its own embedded link store).
		if a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao, "alias": "two"}); a.Status != 201 {
			t.Fatalf("create on %s: %d %s", inst, a.Status, a.Body)
		}
		ms, bases = append(ms, m), append(bases, base)
	}
	before := time.Now().Add(-time.Second)
	const n = 400
	ua := corpusUA(t, "wechat/ios")
	for i := range n {
		if r := get(t, bases[i%2]+"/two?click_id="+fmt.Sprint(i), ua); r.Status != 302 {
			t.Fatalf("tap %d: %d", i, r.Status)
		}
	}
	waitEvents(t, ms[0], n) // both instances' batches, read through either
	if got := eventsOut(t, "--source", ns.URL(), "--since", "0"); len(got) != n {
		t.Fatalf("--since 0: %d clicks; want exactly %d", len(got), n)
	}
	if got := eventsOut(t, "--source", ns.URL(), "--since", before.Format(time.RFC3339Nano)); len(got) != n {
		t.Errorf("--since %s: %d clicks; want %d", before.Format(time.RFC3339), len(got), n)
	}
	if got := eventsOut(t, "--source", ns.URL(), "--since", time.Now().Add(time.Hour).Format(time.RFC3339)); len(got) != 0 {
		t.Errorf("--since an hour ahead: %d clicks; want 0", len(got))
	}
	if got := eventsOut(t, "--source", ns.URL(), "--group", "ads"); len(got) != n {
		t.Errorf("--group ads: %d clicks; want %d", len(got), n)
	}
	if got := eventsOut(t, "--source", ns.URL(), "--group", "ads"); len(got) != 0 {
		t.Errorf("--group ads again: %d clicks; want 0 (acknowledged)", len(got))
	}
	if got := eventsOut(t, "--source", ns.URL(), "--group", "late", "--since", time.Now().Add(time.Hour).Format(time.RFC3339)); len(got) != 0 {
		t.Errorf("a new --group from an hour ahead: %d clicks; want 0", len(got))
	}
	if r := get(t, bases[1]+"/two?click_id=late", ua); r.Status != 302 {
		t.Fatalf("late tap: %d", r.Status)
	}
	waitEvents(t, ms[0], n+1)
	if got := eventsOut(t, "--source", ns.URL(), "--group", "ads"); len(got) != 1 {
		t.Errorf("--group ads after one more tap: %d clicks; want 1", len(got))
	}
}

// hookCounter is a local ad system: it counts 200 answers per
// Idempotency-Key and keeps "slow" taps' requests waiting while held.
type hookCounter struct {
	mu   sync.Mutex
	ok   map[string]int
	hold chan struct{}
}

func (h *hookCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	hold := h.hold
	h.mu.Unlock()
	if hold != nil && r.URL.Query().Get("cid")[:1] == "s" {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	h.mu.Lock()
	h.ok[r.Header.Get("Idempotency-Key")]++
	h.mu.Unlock()
}

func (h *hookCounter) counts() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for k, v := range h.ok {
		out[k] = v
	}
	return out
}

// TestPostbacksNATSAcrossRestart: with --events-url on NATS the postback
// worker is a durable JetStream consumer: across a hutong restart every
// tap's postback arrives, the ones delivered before the restart are not
// sent again, and the ones the first process could not finish come from
// the second (same Idempotency-Key).
func TestPostbacksNATSAcrossRestart(t *testing.T) {
	ns := testnats.Start(t)
	hook := &hookCounter{ok: map[string]int{}, hold: make(chan struct{})}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	pf := filepath.Join(t.TempDir(), "postbacks.json")
	pj := fmt.Sprintf(`{"allowed_hosts":["127.0.0.1"],"max_attempts":3,"base_backoff":"10ms","postbacks":[{"name":"crm","kind":"webhook","url":%q}]}`, hs.URL+"/hook?cid={click_id}")
	if err := os.WriteFile(pf, []byte(pj), 0o644); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	start := func() (*Main, string) {
		return startMain(t, func(c *config.Serve) {
			c.Data = data
			c.InitialAPIKey = adminKey
			c.EventsURL = ns.URL()
			c.EventsInstance = "pb"
			c.Postbacks = pf
			c.EventFlushInterval = 20 * time.Millisecond
		})
	}
	m, base := start()
	if a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao, "alias": "pbk"}); a.Status != 201 {
		t.Fatalf("create: %d %s", a.Status, a.Body)
	}
	ua := corpusUA(t, "wechat/ios")
	tap := func(base, cid string) {
		if r := get(t, base+"/pbk?click_id="+cid, ua); r.Status != 302 {
			t.Fatalf("tap %s: %d", cid, r.Status)
		}
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	allAcked := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := js.Consumer(ctx, "HUTONG_EVENTS", "hutong-postbacks")
		if err != nil {
			return false
		}
		ci, err := c.Info(ctx)
		return err == nil && ci.NumAckPending == 0 && ci.NumPending == 0
	}
	// The fast taps are delivered and their batches acknowledged before
	// the slow ones are tapped: one ack per batch, so a fast tap sharing a
	// batch with a slow one would be sent again with it.
	const fast, slow = 150, 30
	for i := range fast {
		tap(base, fmt.Sprint("f", i))
	}
	waitFor("the fast postbacks, acknowledged", func() bool { return len(hook.counts()) >= fast && allAcked() })
	for i := range slow {
		tap(base, fmt.Sprint("s", i))
	}
	waitEvents(t, m, fast+slow)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := m.Close(ctx); err != nil { // the slow ones are in flight
		t.Fatal(err)
	}
	cancel()
	hook.mu.Lock()
	close(hook.hold)
	hook.hold = nil
	hook.mu.Unlock()

	m2, base2 := start()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m2.Close(ctx)
	}()
	const after = 50
	for i := range after {
		tap(base2, fmt.Sprint("g", i))
	}
	evs := waitEvents(t, m2, fast+slow+after)
	waitFor("every postback", func() bool { return len(hook.counts()) >= len(evs) })
	time.Sleep(300 * time.Millisecond) // a stray repeat would come now
	got := hook.counts()
	twice := 0
	for _, ev := range evs {
		k := ev.VisitID + ":crm"
		switch n := got[k]; {
		case n == 0:
			t.Errorf("tap %s: no postback", ev.ClickIDs["click_id"])
		case n > 1 && ev.ClickIDs["click_id"][:1] != "s":
			t.Errorf("tap %s: %d postbacks; want 1 (it was acknowledged before the restart, or came after)", ev.ClickIDs["click_id"], n)
		case n > 1:
			twice++
		}
	}
	if len(got) != len(evs) {
		t.Errorf("%d Idempotency-Keys delivered; want %d", len(got), len(evs))
	}
	t.Logf("%d taps across a restart: every postback delivered, the %d finished before it once; %d of the %d in flight at the restart came twice (same key)", len(evs), fast+after, twice, slow)
}
