package route

import (
	"testing"

	"github.com/hutong-dev/hutong/resolver"
)

// TestTpwdGuide: the guide leading with a link's 淘口令 replaces the
// default 302 only for WeChat and WeCom in-app taps on a link that opted
// in and holds a token, and only when there is a page to continue to;
// everyone else keeps the table's answer.
func TestTpwdGuide(t *testing.T) {
	tb := mustNew(t)
	item := resolver.Parse("https://item.taobao.com/item.htm?id=812345678901")
	on := Overrides{WeChatTpwdGuide: true}
	tests := []struct {
		name    string
		client  string
		o       Overrides
		hasTpwd bool
		want    bool
	}{
		{"wechat, opted in, token", "wechat", on, true, true},
		{"wecom, opted in, token", "wecom", on, true, true},
		{"wechat, not opted in (ROUTING.md: 302)", "wechat", Overrides{}, true, false},
		{"wechat, opted in, no token", "wechat", on, false, false},
		{"mini program", "wechat-miniprogram", on, true, false},
		{"wechat desktop", "wechat-desktop", on, true, false},
		{"bot", "bot", on, true, false},
		{"taobao app", "taobao", on, true, false},
		{"ios browser", "ios", on, true, false},
	}
	for _, tt := range tests {
		cl := clients[tt.client]
		if cl.App == "" {
			t.Fatalf("%s: no client %q in the table", tt.name, tt.client)
		}
		d := tb.Decide(Request{Entity: item, Client: cl, Overrides: tt.o})
		if got := TpwdGuide(&tt.o, tt.hasTpwd, &cl, &d); got != tt.want {
			t.Errorf("%s: TpwdGuide = %v; want %v (decision %s %s)", tt.name, got, tt.want, d.Action, d.Location)
		}
		if tt.client == "wechat" && (d.Action != ActionRedirect || d.Location == "") {
			t.Errorf("%s: the table itself answers %s %q; want the 302 (the switch never changes the table)", tt.name, d.Action, d.Location)
		}
	}
	// No page to continue to (not allowed / unknown): the table's own guide stays.
	cl := clients["wechat"]
	d := Decision{Action: ActionGuide}
	if TpwdGuide(&on, true, &cl, &d) {
		t.Error("TpwdGuide without a Location = true; want false")
	}
}
