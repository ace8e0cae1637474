package shortlink

import (
	"strings"
	"testing"
)

func TestTpwdForAndValidate(t *testing.T) {
	tp := &Tpwd{Model: "6￥A1￥/ https://m.tb.cn/h.x", Simple: "￥A1￥", Source: TpwdCreated}
	if got := tp.For(true); got != tp.Model {
		t.Errorf("For(iOS 14+) = %q; want the model form", got)
	}
	if got := tp.For(false); got != tp.Simple {
		t.Errorf("For(other) = %q; want the simple form", got)
	}
	if got := (&Tpwd{Simple: "￥A1￥"}).For(true); got != "￥A1￥" {
		t.Errorf("For(iOS 14+) without a model = %q; want the simple form", got)
	}
	if got := (*Tpwd)(nil).For(true); got != "" {
		t.Errorf("nil For = %q", got)
	}
	base := Link{Code: "abc", Target: "https://s.click.taobao.com/t?e=1"}
	for name, tc := range map[string]struct {
		tp   *Tpwd
		want string
	}{
		"nil":        {nil, ""},
		"ok":         {tp, ""},
		"bad source": {&Tpwd{Simple: "￥A￥", Source: "made-up"}, "tpwd.source"},
		"empty":      {&Tpwd{Source: TpwdPasted}, "no token"},
		"long":       {&Tpwd{Simple: strings.Repeat("x", MaxTpwdLength+1), Source: TpwdPasted}, "longer"},
	} {
		l := base
		l.Tpwd = tc.tp
		err := l.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: Validate = %v; want %q", name, err, tc.want)
		}
	}
	c := Link{Tpwd: tp}.Clone()
	c.Tpwd.Simple = "changed"
	if tp.Simple == "changed" {
		t.Error("Clone shares the Tpwd")
	}
}
