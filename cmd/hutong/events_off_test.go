package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/config"
)

// TestEventsOff: with --events off taps still route, but nothing is
// recorded (no event, no counter, no hutong_track_* metric), and the stats
// and events recorded before, with events on over the same store, stay
// readable.
func TestEventsOff(t *testing.T) {
	stores(t, func(t *testing.T, tweak func(*config.Serve)) {
		data := t.TempDir()
		wechat := corpusUA(t, "wechat/ios")

		// Events on: one tap recorded. Closed here, since the same store
		// is opened again below.
		on, base := startMain(t, func(c *config.Serve) { tweak(c); c.Data = data })
		closed := false
		t.Cleanup(func() {
			if !closed { // the test failed before closing it
				on.Close(context.Background())
			}
		})
		a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao})
		if a.Status != 201 {
			t.Fatalf("create: %d %s", a.Status, a.Body)
		}
		var l apiLink
		decodeJSON(t, a.Body, &l)
		first := get(t, base+"/"+l.Code, wechat)
		if first.Status != 302 {
			t.Fatalf("tap with events on: %d", first.Status)
		}
		waitEvents(t, on, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		closed = true
		if err := on.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}

		// Events off over the same store.
		off, base := testMain(t, func(c *config.Serve) { tweak(c); c.Data = data; c.Events = "off" })
		for range 5 {
			if tap := get(t, base+"/"+l.Code, wechat); tap.Status != 302 || tap.Location != first.Location {
				t.Fatalf("tap with events off: %d %q; want 302 %q", tap.Status, tap.Location, first.Location)
			}
		}
		time.Sleep(300 * time.Millisecond) // longer than a writer's flush interval, were there one
		if evs := events(t, off); len(evs) != 1 {
			t.Errorf("events: %d; want the 1 recorded before --events off", len(evs))
		}
		st := api(t, "GET", base+"/api/v1/links/"+l.Code+"/stats", nil)
		var stats struct{ Total int64 }
		decodeJSON(t, st.Body, &stats)
		if st.Status != 200 || stats.Total != 1 {
			t.Errorf("stats: %d %s; want total 1 (the tap before --events off)", st.Status, st.Body)
		}
		if strings.Contains(get(t, base+"/metrics", "").Body, "hutong_track_events_written_total") {
			t.Error("/metrics has hutong_track_* series with --events off")
		}
	})
}
