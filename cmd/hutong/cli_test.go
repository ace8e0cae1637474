package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestResolveContract: one JSON object per input with the fields DESIGN.md
// fixes; stdin when no argument; unknown is a classification, exit 0.
func TestResolveContract(t *testing.T) {
	code, out, _ := runCLI(t, "", "resolve", itemTmall, "https://taobao.com.evil.example/item.htm?id=1", bareToken)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines; want 3:\n%s", len(lines), out)
	}
	want := []map[string]string{
		{"platform": "tmall", "kind": "item", "id": "66608981238", "id_type": "item_id"},
		{"platform": "unknown", "kind": "unknown", "id": "", "id_type": "none"},
		{"kind": "password", "id": "XUymWKIqxIz", "id_type": "tpwd"},
	}
	for i, l := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"input", "platform", "kind", "id", "id_type"} {
			if _, ok := got[f]; !ok {
				t.Errorf("line %d lacks %q: %s", i, f, l)
			}
		}
		for k, v := range want[i] {
			if got[k] != v {
				t.Errorf("line %d: %s got %v; want %q", i, k, got[k], v)
			}
		}
	}
	code, out, _ = runCLI(t, itemTaobao+"\n\n"+shareText[:strings.Index(shareText, "\n")]+"\n", "resolve")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, `"tpwd":"XUymWKIqxIz"`) {
		t.Fatalf("stdin mode: exit %d\n%s", code, out)
	}
}

// TestUAContract: one JSON object per UA with ua, app, os, device, bot.
func TestUAContract(t *testing.T) {
	wx := corpusUA(t, "wechat/ios")
	code, out, _ := runCLI(t, wx+"\n"+corpusUA(t, "bot/other")+"\n", "ua")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var rows []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if len(rows) != 2 || rows[0]["ua"] != wx || rows[0]["app"] != "wechat" || rows[0]["os"] != "ios" || rows[0]["device"] != "mobile" || rows[0]["bot"] != false {
		t.Fatalf("got %v", rows)
	}
	if rows[1]["app"] != "bot" || rows[1]["bot"] != true || rows[1]["device"] != "bot" {
		t.Fatalf("bot row: %v", rows[1])
	}
}

func TestCLIUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"nope"}, {"serve", "--listen", "nonsense"}, {"resolve", "--bogus"}, {"qr", "x"}, {"link"}} {
		if code, _, errs := runCLI(t, "", args...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, errs)
		}
	}
}

// TestQRCommand writes a PNG that decodes to the short URL.
func TestQRCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "code.png")
	if code, _, errs := runCLI(t, "", "qr", "aB3xY9k", "--base-url", "https://hut.ong", "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeQR(t, b); got != "https://hut.ong/aB3xY9k" {
		t.Fatalf("QR decodes to %q", got)
	}
}

// TestKeysCommand creates, lists and revokes a key in an embedded store.
func TestKeysCommand(t *testing.T) {
	data := t.TempDir()
	code, out, errs := runCLI(t, "", "keys", "create", "--data", data, "--name", "ci", "--scopes", "read")
	if code != 0 || !strings.Contains(out, "secret (shown once): htk_") {
		t.Fatalf("create: exit %d %s %s", code, out, errs)
	}
	id := strings.Fields(out)[2]
	if code, out, _ = runCLI(t, "", "keys", "list", "--data", data); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "active") {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, _, errs = runCLI(t, "", "keys", "revoke", "--data", data, id); code != 0 {
		t.Fatalf("revoke: %d %s", code, errs)
	}
	if _, out, _ = runCLI(t, "", "keys", "list", "--data", data); !strings.Contains(out, "revoked") {
		t.Fatalf("after revoke: %s", out)
	}
}

// TestResolveCorpusThroughCLI runs every line of the link corpus through
// `hutong resolve` and compares the printed fields with the labels, the way
// an outside check would (testdata/links-dev.jsonl, from ../shared/corpus).
func TestResolveCorpusThroughCLI(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "links-dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var want map[string]any
		if err := json.Unmarshal([]byte(line), &want); err != nil {
			t.Fatalf("corpus line %d: %v", i+1, err)
		}
		name := fmt.Sprintf("%03d-%v", i+1, want["detail"])
		t.Run(name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", "resolve", want["input"].(string))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			for _, f := range []string{"platform", "kind", "id", "id_type", "tpwd", "seller_id", "activity_id"} {
				w, ok := want[f]
				if !ok {
					continue
				}
				if got[f] != w {
					t.Errorf("%s: got %v; want %v", f, got[f], w)
				}
			}
			if emb, ok := want["embedded"].(map[string]any); ok {
				g, _ := got["embedded"].(map[string]any)
				for k, w := range emb {
					if g[k] != w {
						t.Errorf("embedded.%s: got %v; want %v", k, g[k], w)
					}
				}
			}
		})
	}
}
