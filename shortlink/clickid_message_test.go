package shortlink_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/resolver"
	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/boltstore"
)

// TestForwardClickIDsMessage: the refusal of a forward_click_ids name that
// is not a click ID names every entry of resolver.ClickIDParams (the one
// list), so the message cannot drift from what is accepted.
func TestForwardClickIDsMessage(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "links.db"), boltstore.Options{NoSync: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := shortlink.NewService(st, shortlink.ServiceConfig{}).WithRules(shortlink.Rules{IsClickID: resolver.IsClickIDParam})
	_, err = svc.Make(context.Background(), shortlink.Input{Target: ptr(itemURL), ForwardClickIDs: &[]string{"session"}})
	var e *shortlink.Error
	if !errors.As(err, &e) || e.Field != "forward_click_ids" {
		t.Fatalf("Make with forward_click_ids [session]: %v, want an invalid forward_click_ids", err)
	}
	for _, p := range resolver.ClickIDParams {
		if strings.HasSuffix(p, "_") {
			p += "*"
		}
		if !strings.Contains(e.Message, p) {
			t.Errorf("message %q does not name %s", e.Message, p)
		}
	}
}
