package resolver

import (
	"context"
	"errors"
	"testing"
)

type expandFunc func(string) (string, error)

func (f expandFunc) Expand(_ context.Context, u string) (string, error) { return f(u) }

type decodeFunc func(string) (Decoded, error)

func (f decodeFunc) Decode(_ context.Context, t string) (Decoded, error) { return f(t) }

// TestDeepen is the one deepening rule: what it looks up, what it keeps of
// the share text, and its failure policy (entity unchanged, error says why).
func TestDeepen(t *testing.T) {
	const item = "https://item.taobao.com/item.htm?id=639750024278"
	share := "【淘宝】https://m.tb.cn/h.5zxz3j69cN5go4k?tk=XUymWKIqxIz MF6563 「优衣库女装」"
	okX := expandFunc(func(string) (string, error) { return item, nil })
	okD := decodeFunc(func(string) (Decoded, error) { return Decoded{URL: item, Title: "decoded title"}, nil })
	boom := errors.New("boom")
	tests := []struct {
		name      string
		in        string
		x         Expander
		d         PasswordDecoder
		wantKind  Kind
		wantID    string
		wantTpwd  string
		wantTitle string
		wantLong  string
		wantErr   error // errors.Is; nil: no error
	}{
		{name: "item untouched", in: item, x: okX, d: okD, wantKind: KindItem, wantID: "639750024278"},
		{name: "short expanded keeps token and title", in: share, x: okX, wantKind: KindItem, wantID: "639750024278", wantTpwd: "XUymWKIqxIz", wantTitle: "优衣库女装", wantLong: item},
		{name: "short without expander stays", in: share, wantKind: KindShort, wantID: "h.5zxz3j69cN5go4k", wantTpwd: "XUymWKIqxIz"},
		{name: "short expansion fails", in: share, x: expandFunc(func(string) (string, error) { return "", boom }), wantKind: KindShort, wantID: "h.5zxz3j69cN5go4k", wantTpwd: "XUymWKIqxIz", wantErr: boom},
		{name: "short led to elsewhere", in: share, x: expandFunc(func(string) (string, error) { return "https://example.com/", nil }), wantKind: KindShort, wantID: "h.5zxz3j69cN5go4k", wantTpwd: "XUymWKIqxIz", wantErr: ErrLedToUnknown},
		{name: "short led to short", in: share, x: expandFunc(func(string) (string, error) { return "https://m.tb.cn/h.other", nil }), wantKind: KindShort, wantID: "h.5zxz3j69cN5go4k", wantTpwd: "XUymWKIqxIz", wantErr: ErrLedToUnknown},
		{name: "token decoded", in: "￥AbCdEfGh123￥", d: okD, wantKind: KindItem, wantID: "639750024278", wantTpwd: "AbCdEfGh123", wantTitle: "decoded title", wantLong: item},
		{name: "token not configured", in: "￥AbCdEfGh123￥", d: decodeFunc(func(string) (Decoded, error) { return Decoded{}, ErrNotConfigured }), wantKind: KindPassword, wantID: "AbCdEfGh123", wantErr: ErrDecodeNotConfigured},
		{name: "token decode fails", in: "￥AbCdEfGh123￥", d: decodeFunc(func(string) (Decoded, error) { return Decoded{}, boom }), wantKind: KindPassword, wantID: "AbCdEfGh123", wantErr: boom},
		{name: "token without decoder stays", in: "￥AbCdEfGh123￥", x: okX, wantKind: KindPassword, wantID: "AbCdEfGh123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Parse(tt.in)
			got, long, err := Deepen(context.Background(), e, tt.x, tt.d)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err: got %v; want %v", err, tt.wantErr)
			}
			if err != nil && got != e {
				t.Errorf("on error: got entity %+v; want the input's %+v", got, e)
			}
			if got.Kind != tt.wantKind || got.ID != tt.wantID || got.Tpwd != tt.wantTpwd || long != tt.wantLong {
				t.Errorf("got %s %q tpwd %q long %q; want %s %q tpwd %q long %q", got.Kind, got.ID, got.Tpwd, long, tt.wantKind, tt.wantID, tt.wantTpwd, tt.wantLong)
			}
			if tt.wantTitle != "" && got.Title != tt.wantTitle {
				t.Errorf("title: got %q; want %q", got.Title, tt.wantTitle)
			}
		})
	}
}
