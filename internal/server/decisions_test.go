package server_test

import (
	"bytes"
	"testing"

	"github.com/hutong-dev/hutong/internal/server"
)

// TestDecisionCacheAdmission: a link's first tap is decided but not cached
// (nor its page), its second is cached, and every tap answers the same.
// A link tapped once in a long tail must not push warm ones out.
func TestDecisionCacheAdmission(t *testing.T) {
	srv, code, _ := newTestServer(t, nil)
	h := srv.Handler()
	for _, tc := range []struct {
		name, ua         string
		decisions, pages [3]int // cached after taps 1, 2, 3
	}{
		{"wechat 302", benchWeChatUA, [3]int{0, 1, 1}, [3]int{0, 0, 0}},
		{"safari interstitial", benchSafariUA, [3]int{1, 2, 2}, [3]int{0, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var first []byte
			for i := range 3 {
				resp := serveOnce(h, newReq("/"+code, tc.ua))
				if i == 0 {
					first = append([]byte(resp.Header.String()), resp.Body()...)
				} else if got := append([]byte(resp.Header.String()), resp.Body()...); !bytes.Equal(got, first) {
					t.Errorf("tap %d answers otherwise than tap 1:\n%s\nwant:\n%s", i+1, got, first)
				}
				d, p := server.DecisionsCached(srv)
				if d != tc.decisions[i] || p != tc.pages[i] {
					t.Errorf("after tap %d: %d decisions, %d pages cached; want %d, %d", i+1, d, p, tc.decisions[i], tc.pages[i])
				}
			}
		})
	}
}
