package postback

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/testnats"
	"github.com/hutong-dev/hutong/internal/track"
)

// keyCounter is a local ad server counting the requests per
// Idempotency-Key it answered 200; while hold is set it keeps requests
// waiting until the client gives up; "bad-" click IDs get a 400.
type keyCounter struct {
	mu   sync.Mutex
	ok   map[string]int
	hold chan struct{} // non-nil: block until closed or the request ends
}

func (k *keyCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	hold := k.hold
	k.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if len(r.URL.Query().Get("cid")) > 4 && r.URL.Query().Get("cid")[:4] == "bad-" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	k.mu.Lock()
	k.ok[r.Header.Get("Idempotency-Key")]++
	k.mu.Unlock()
}

func (k *keyCounter) snapshot() map[string]int {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[string]int, len(k.ok))
	for key, n := range k.ok {
		out[key] = n
	}
	return out
}

// TestNATSPostbacksAcrossRestart: the postback worker as a durable
// JetStream pull consumer on a real nats-server. Worker A is stopped while
// its postbacks hang (they are NAKed and redelivered, same
// Idempotency-Key); taps recorded while no worker runs are delivered by
// worker B, a new connection and process state, exactly once; a rejected
// postback is parked in the dead-letter stream and its batch acknowledged.
func TestNATSPostbacksAcrossRestart(t *testing.T) {
	srv := testnats.Start(t)
	ctx := context.Background()
	ads := &keyCounter{ok: map[string]int{}, hold: make(chan struct{})}
	hs := httptest.NewServer(ads)
	defer hs.Close()
	p, err := NewPoster(Config{
		Postbacks:    []Postback{{Name: "hook", Kind: KindWebhook, URL: hs.URL + "/hook?cid={click_id}"}},
		AllowedHosts: []string{"127.0.0.1"},
		MaxAttempts:  3, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	open := func() *track.NATSLog {
		l, err := track.OpenNATSLog(ctx, natsConnect(t, srv.URL()), track.NATSConfig{Instance: "pb"})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	startWorker := func(l *track.NATSLog) (stop func()) {
		w := NewNATSWorker(l, p, NATSWorkerConfig{Concurrency: 8, FetchWait: 200 * time.Millisecond})
		ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := w.Init(ictx); err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- w.Run(wctx) }()
		return func() {
			wcancel()
			if err := <-done; err != nil {
				t.Errorf("worker: %v", err)
			}
		}
	}
	at := time.Now()
	var visits []string
	record := func(l *track.NATSLog, n int, prefix string) {
		r, err := track.New(&track.SplitSink{Counters: discardSink{}, Log: l}, track.Config{SpillDir: t.TempDir(), FlushInterval: 5 * time.Millisecond, BatchSize: 16})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			ev := tap(len(visits), "pb", at)
			ev.VisitID = track.NewVisitID()
			ev.ClickIDs = map[string]string{"click_id": fmt.Sprintf("%s%d", prefix, i)}
			if i%4 == 0 {
				ev.ClickIDs = map[string]string{"utm_source": "x"} // no postback
			} else {
				visits = append(visits, ev.VisitID)
			}
			r.Record(&ev)
		}
		if err := r.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}

	la := open()
	stopA := startWorker(la)
	record(la, 200, "a")
	time.Sleep(300 * time.Millisecond) // A holds batches, its postbacks hang
	stopA()
	ads.mu.Lock()
	close(ads.hold)
	ads.hold = nil
	ads.mu.Unlock()
	if got := len(ads.snapshot()); got != 0 {
		t.Fatalf("%d postbacks answered while held; want 0", got)
	}
	phase1 := len(visits)

	lb := open()
	record(lb, 200, "b") // no worker runs
	rec := func(l *track.NATSLog) {
		r, _ := track.New(&track.SplitSink{Counters: discardSink{}, Log: l}, track.Config{SpillDir: t.TempDir()})
		ev := tap(9999, "pb", at)
		ev.VisitID = track.NewVisitID()
		ev.ClickIDs = map[string]string{"click_id": "bad-1"}
		r.Record(&ev)
		_ = r.Close(ctx)
	}
	rec(lb)
	stopB := startWorker(lb)
	defer stopB()
	waitFor(t, 20*time.Second, "every postback delivered", func() bool { return len(ads.snapshot()) >= len(visits) })
	time.Sleep(300 * time.Millisecond) // a stray duplicate would come now
	got := ads.snapshot()
	again := 0
	for i, v := range visits {
		n := got[v+":hook"]
		switch {
		case n == 0:
			t.Errorf("visit %d (%s): no postback delivered", i, v)
		case n > 1 && i >= phase1:
			t.Errorf("visit %d, recorded while no worker ran: %d postbacks; want exactly 1", i, n)
		case n > 1:
			again++
		}
	}
	if len(got) != len(visits) {
		t.Errorf("%d keys delivered; want %d", len(got), len(visits))
	}
	t.Logf("%d postbacks across a worker restart: every one delivered; %d of the %d held by the stopped worker in flight when the worker stopped came twice (same Idempotency-Key)", len(visits), again, phase1)

	// The rejected one is parked, its batch acknowledged: nothing pending.
	js := lb.JetStream()
	waitFor(t, 10*time.Second, "the dead letter and every ack", func() bool {
		ds, err := js.Stream(ctx, "HUTONG_POSTBACKS_DEAD")
		if err != nil {
			return false
		}
		di, err := ds.Info(ctx)
		c, err2 := js.Consumer(ctx, "HUTONG_EVENTS", "hutong-postbacks")
		if err != nil || err2 != nil {
			return false
		}
		ci, err := c.Info(ctx)
		return err == nil && di.State.Msgs == 1 && ci.NumAckPending == 0 && ci.NumPending == 0
	})
	ds, _ := js.Stream(ctx, "HUTONG_POSTBACKS_DEAD")
	m, err := ds.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var d DeadLetter
	if err := json.Unmarshal(m.Data, &d); err != nil || d.Outcome != OutcomeRejected || d.Event.ClickIDs["click_id"] != "bad-1" || d.EntryID == "" {
		t.Errorf("dead letter = %+v, %v; want the rejected bad-1 with its entry", d, err)
	}
}
