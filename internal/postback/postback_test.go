package postback

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hutong-dev/hutong/internal/track"
)

// fakeAds is a local ad server: webhook at /hook, Tencent-style callback at /cb.
type fakeAds struct {
	mu       sync.Mutex
	attempts map[string]int // Idempotency-Key → requests
	callback map[string]int // /cb?v=… → requests
	badSig   int
}

func (f *fakeAds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/cb":
		f.callback[r.URL.Query().Get("v")]++
		return
	case "/hook":
	default:
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if !hmac.Equal([]byte(r.Header.Get("X-Hutong-Signature")), []byte(Sign("s3cret", body))) {
		f.badSig++
	}
	var wb webhookBody
	_ = json.Unmarshal(body, &wb)
	key := r.Header.Get("Idempotency-Key")
	if key != wb.VisitID+":hook" {
		f.badSig++
	}
	f.attempts[key]++
	cid := r.URL.Query().Get("cid")
	switch {
	case strings.HasPrefix(cid, "fail2-") && f.attempts[key] <= 2:
		w.WriteHeader(http.StatusInternalServerError)
	case strings.HasPrefix(cid, "bad-"):
		w.WriteHeader(http.StatusBadRequest)
	case strings.HasPrefix(cid, "dead-"):
		w.WriteHeader(http.StatusBadGateway)
	}
}

func TestPostbacksRedis(t *testing.T) {
	rdb := testClient(t)
	stream := testStream(t, rdb)
	dead := stream + ":dead"
	t.Cleanup(func() { rdb.Del(context.Background(), dead) })
	ads := &fakeAds{attempts: map[string]int{}, callback: map[string]int{}}
	srv := httptest.NewServer(ads)
	defer srv.Close()

	p, err := NewPoster(Config{
		Postbacks: []Postback{
			{Name: "hook", Kind: KindWebhook, URL: srv.URL + "/hook?cid={click_id}&v={visit_id}&ts={ts}", Secret: "s3cret"},
			{Name: "gdt", Kind: KindTencent},
		},
		AllowedHosts: []string{"127.0.0.1"},
		MaxAttempts:  3, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	sink := track.NewRedisSink(rdb, track.RedisConfig{Stream: stream})
	ctx, cancel := context.WithCancel(context.Background())
	w := NewWorker(sink, p, WorkerConfig{Group: "pb", DeadStream: dead, StartID: "0", Block: 100 * time.Millisecond, Concurrency: 4})
	werr := make(chan error, 1)
	go func() { werr <- w.Run(ctx) }()

	r, err := track.New(sink, track.Config{SpillDir: t.TempDir(), FlushInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	var visits []string
	rec := func(ids map[string]string) string {
		ev := tap(len(visits), "pb", at)
		ev.VisitID = track.NewVisitID()
		ev.ClickIDs = ids
		r.Record(&ev)
		visits = append(visits, ev.VisitID)
		return ev.VisitID
	}
	var flaky []string
	for i := range 10 {
		flaky = append(flaky, rec(map[string]string{"click_id": fmt.Sprintf("fail2-%d", i)}))
	}
	bad := rec(map[string]string{"click_id": "bad-1"})
	deadV := rec(map[string]string{"clickid": "dead-1"})
	var tencent []string
	for range 5 {
		var v string
		v = rec(map[string]string{"gdt_vid": "ok", "callback": srv.URL + "/cb?v=PLACEHOLDER"})
		tencent = append(tencent, v)
	}
	evil := rec(map[string]string{"callback": "http://169.254.169.254/latest/meta-data"})
	for range 20 {
		rec(map[string]string{"utm_source": "x"}) // no click ID: no postback
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	waitFor(t, 15*time.Second, "all entries acknowledged and 3 dead letters", func() bool {
		pend, err := rdb.XPending(bg, sink.StreamKey(0), "pb").Result()
		if err != nil {
			t.Log(err)
			return false
		}
		info, err := rdb.XInfoGroups(bg, sink.StreamKey(0)).Result()
		if err != nil || len(info) != 1 || info[0].EntriesRead != rdb.XLen(bg, sink.StreamKey(0)).Val() {
			return false
		}
		t.Logf("pending %d, read %d of %d, dead %d", pend.Count, info[0].EntriesRead, rdb.XLen(bg, sink.StreamKey(0)).Val(), rdb.XLen(bg, dead).Val())
		return pend.Count == 0 && rdb.XLen(bg, dead).Val() == 3
	})
	cancel()
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	ads.mu.Lock()
	defer ads.mu.Unlock()
	if ads.badSig != 0 {
		t.Errorf("%d webhook requests with a bad signature or idempotency key", ads.badSig)
	}
	for _, v := range flaky {
		if got := ads.attempts[v+":hook"]; got != 3 {
			t.Errorf("flaky %s: %d attempts; want 3 (two 500s, then 200)", v, got)
		}
	}
	if got := ads.attempts[bad+":hook"]; got != 1 {
		t.Errorf("400: %d attempts; want 1 (4xx not retried)", got)
	}
	if got := ads.attempts[deadV+":hook"]; got != 3 {
		t.Errorf("502 forever: %d attempts; want MaxAttempts=3", got)
	}
	if got := ads.callback["PLACEHOLDER"]; got != len(tencent) {
		t.Errorf("tencent callbacks: %d; want %d", got, len(tencent))
	}
	for _, v := range tencent {
		if got := ads.attempts[v+":hook"]; got != 1 {
			t.Errorf("tencent tap %s webhook: %d attempts; want 1", v, got)
		}
	}
	// The evil callback got no request; the webhook still fired for it.
	if got := ads.attempts[evil+":hook"]; got != 1 {
		t.Errorf("evil tap webhook: %d attempts; want 1", got)
	}
	msgs, _ := rdb.XRange(bg, dead, "-", "+").Result()
	outcomes := map[string]string{}
	for _, m := range msgs {
		var d DeadLetter
		if err := json.Unmarshal([]byte(m.Values["d"].(string)), &d); err != nil {
			t.Fatal(err)
		}
		outcomes[d.VisitID+":"+d.Postback] = d.Outcome
	}
	want := map[string]string{bad + ":hook": OutcomeRejected, deadV + ":hook": OutcomeDead, evil + ":gdt": OutcomeBlocked}
	for k, o := range want {
		if outcomes[k] != o {
			t.Errorf("dead letter %s: %q; want %q (all: %v)", k, outcomes[k], o, outcomes)
		}
	}
}

// TestPostbackReclaim: an entry read but never acknowledged (its consumer
// died) is claimed by another worker and delivered with the same key.
func TestPostbackReclaim(t *testing.T) {
	rdb := testClient(t)
	stream := testStream(t, rdb)
	ads := &fakeAds{attempts: map[string]int{}, callback: map[string]int{}}
	srv := httptest.NewServer(ads)
	defer srv.Close()
	p, err := NewPoster(Config{Postbacks: []Postback{{Name: "hook", Kind: KindWebhook, URL: srv.URL + "/hook", Secret: "s3cret"}}})
	if err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	sink := track.NewRedisSink(rdb, track.RedisConfig{Stream: stream})
	ev := tap(1, "rc", time.Now())
	ev.ClickIDs = map[string]string{"bd_vid": "b1"}
	if _, err := sink.WriteBatch(bg, &track.Batch{Writer: "x", Seq: 1, Events: []track.Event{ev}}); err != nil {
		t.Fatal(err)
	}
	// A consumer that dies after reading.
	if err := rdb.XGroupCreate(bg, sink.StreamKey(0), "pb", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.XReadGroup(bg, &redis.XReadGroupArgs{Group: "pb", Consumer: "dead", Streams: []string{sink.StreamKey(0), ">"}}).Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	w := NewWorker(sink, p, WorkerConfig{Group: "pb", Consumer: "alive", DeadStream: stream + ":dead",
		MinIdle: 10 * time.Millisecond, ClaimInterval: 50 * time.Millisecond, Block: 50 * time.Millisecond})
	go w.Run(ctx)
	waitFor(t, 5*time.Second, "reclaimed entry delivered and acknowledged", func() bool {
		pend, err := rdb.XPending(bg, sink.StreamKey(0), "pb").Result()
		ads.mu.Lock()
		n := ads.attempts[ev.VisitID+":hook"]
		ads.mu.Unlock()
		return err == nil && pend.Count == 0 && n == 1
	})
}

func TestPostbackAllowlist(t *testing.T) {
	p, err := NewPoster(Config{AllowedHosts: []string{".qq.com", "ads.example.com:443"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, tmpl, target string
		ok                 bool
	}{
		{"suffix", "", "https://t.gdt.qq.com/conv?x=1", true},
		{"exact with port in config", "", "https://ads.example.com/x", true},
		{"not listed", "", "http://10.0.0.1/", false},
		{"lookalike", "", "https://evilqq.com/", false},
		{"userinfo", "", "https://u@t.qq.com/", false},
		{"scheme", "", "file:///etc/passwd", false},
		{"template literal host", "https://hooks.example.org/x?c={click_id}", "https://hooks.example.org/x?c=1", true},
		{"template from placeholder", "{callback}", "https://evil.example.org/", false},
	} {
		err := p.allowed(Postback{Name: "x", Kind: KindWebhook, URL: tc.tmpl}, tc.target)
		if (err == nil) != tc.ok {
			t.Errorf("%s: allowed(%q) = %v; want ok=%v", tc.name, tc.target, err, tc.ok)
		}
	}
}
