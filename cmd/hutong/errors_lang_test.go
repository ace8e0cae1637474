package main

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/hutong-dev/hutong/internal/config"
)

type apiErr struct {
	Status int
	Code   string
	Field  string
	Msg    string
}

// callErr sends one request with Accept-Language lang ("" for none) and
// reads the API's JSON error.
func callErr(t *testing.T, method, u, key, ctype, body, lang string) apiErr {
	t.Helper()
	h := map[string]string{}
	if key != "" {
		h["Authorization"] = "Bearer " + key
	}
	if ctype != "" {
		h["Content-Type"] = ctype
	}
	if lang != "" {
		h["Accept-Language"] = lang
	}
	r := do(t, method, u, h, strings.NewReader(body))
	var out struct {
		Error struct{ Code, Field, Message string }
	}
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatalf("%s %s: %d, not a JSON error: %.300s", method, u, r.Status, r.Body)
	}
	return apiErr{r.Status, out.Error.Code, out.Error.Field, out.Error.Message}
}

func han(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) && r != '淘' && r != '口' && r != '令' { // 淘口令 is in English messages too
			return true
		}
	}
	return false
}

// TestAPIErrorsInChinese (a real listener): every kind of error the API
// writes — auth, scope, unknown route and link, validation of a body and
// of query parameters, media type, conflict, domains, events export
// parameters, resolve, rate limit and a bulk import's rows — answers the
// same status, code and field whatever the Accept-Language, with the
// message in Chinese when the caller prefers zh (q-values honoured) and
// in English otherwise (no header, "*", English first).
func TestAPIErrorsInChinese(t *testing.T) {
	_, base := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey; c.WriteRateLimit = 1000 })
	if a := api(t, "POST", base+"/api/v1/links", map[string]any{"target": itemTaobao, "alias": "taken1"}); a.Status != 201 {
		t.Fatalf("create: %d %s", a.Status, a.Body)
	}
	k := api(t, "POST", base+"/api/v1/keys", map[string]any{"name": "reader", "scopes": []string{"read"}})
	var rk struct{ Secret string }
	decodeJSON(t, k.Body, &rk)
	if k.Status != 201 || rk.Secret == "" {
		t.Fatalf("read key: %d %s", k.Status, k.Body)
	}
	const js = "application/json"
	for _, tc := range []struct {
		name, method, path, key, ctype, body string
		status                               int
		code, field                          string
	}{
		{"no key", "GET", "/api/v1/links", "", "", "", 401, "unauthorized", ""},
		{"unknown key", "GET", "/api/v1/links", "htk_nope_nope_nope_nope", "", "", 401, "unauthorized", ""},
		{"read key writes", "POST", "/api/v1/links", rk.Secret, js, `{"target":"` + itemTaobao + `"}`, 403, "forbidden", ""},
		{"no route", "GET", "/api/v1/nope", adminKey, "", "", 404, "not_found", ""},
		{"no link", "GET", "/api/v1/links/nosuch1", adminKey, "", "", 404, "not_found", ""},
		{"target not understood", "POST", "/api/v1/links", adminKey, js, `{"target":"https://example.com/x"}`, 400, "invalid", "target"},
		{"bad alias", "POST", "/api/v1/links", adminKey, js, `{"target":"` + itemTaobao + `","alias":"a!"}`, 400, "invalid", "alias"},
		{"alias taken", "POST", "/api/v1/links", adminKey, js, `{"target":"` + itemTaobao + `","alias":"taken1"}`, 409, "conflict", "alias"},
		{"expiry unreadable", "POST", "/api/v1/links", adminKey, js, `{"target":"` + itemTaobao + `","expires_at":"soon"}`, 400, "invalid", "expires_at"},
		{"not JSON", "POST", "/api/v1/links", adminKey, "text/plain", "x", 415, "unsupported_media_type", ""},
		{"sort", "GET", "/api/v1/links?sort=x", adminKey, "", "", 400, "invalid", "sort"},
		{"limit", "GET", "/api/v1/links?limit=0", adminKey, "", "", 400, "invalid", "limit"},
		{"format", "GET", "/api/v1/links?format=xml", adminKey, "", "", 400, "invalid", "format"},
		{"stats by", "GET", "/api/v1/links/taken1/stats?by=week", adminKey, "", "", 400, "invalid", "by"},
		{"events until", "GET", "/api/v1/events?format=csv&until=soon", adminKey, "", "", 400, "invalid", "until"},
		{"events reversed", "GET", "/api/v1/events?format=csv&since=1h&until=2h", adminKey, "", "", 400, "invalid", "until"},
		{"domain host missing", "POST", "/api/v1/domains", adminKey, js, `{}`, 400, "invalid", "host"},
		{"domain status", "PATCH", "/api/v1/domains/hutong.test", adminKey, js, `{"status":"gone"}`, 400, "invalid", "status"},
		{"no domain", "PATCH", "/api/v1/domains/nope.test", adminKey, js, `{"status":"blocked"}`, 404, "not_found", ""},
		{"resolve without u", "GET", "/api/v1/resolve", "", "", "", 400, "invalid", "u"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			en := callErr(t, tc.method, base+tc.path, tc.key, tc.ctype, tc.body, "")
			if en.Status != tc.status || en.Code != tc.code || en.Field != tc.field || en.Msg == "" || han(en.Msg) {
				t.Fatalf("no Accept-Language: %+v; want %d %s field %q and an English message", en, tc.status, tc.code, tc.field)
			}
			for _, lang := range []string{"*", "en-US,en;q=0.9,zh;q=0.8", "fr"} {
				if got := callErr(t, tc.method, base+tc.path, tc.key, tc.ctype, tc.body, lang); got != en {
					t.Errorf("Accept-Language %q: %+v; want the English answer %+v", lang, got, en)
				}
			}
			for _, lang := range []string{"zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans", "en;q=0.5, zh;q=0.9"} {
				zh := callErr(t, tc.method, base+tc.path, tc.key, tc.ctype, tc.body, lang)
				if zh.Status != en.Status || zh.Code != en.Code || zh.Field != en.Field || !han(zh.Msg) {
					t.Errorf("Accept-Language %q: %+v; want %d %s field %q with a Chinese message (English: %q)", lang, zh, en.Status, en.Code, en.Field, en.Msg)
				}
			}
		})
	}

	// A bulk import's rows: each failed row's message in the caller's language.
	body := `{"target":"` + itemTaobao + `"}` + "\n" + `{"target":"https://example.com/x"}` + "\n"
	for lang, wantHan := range map[string]bool{"": false, "zh-CN": true} {
		h := map[string]string{"Authorization": "Bearer " + adminKey, "Content-Type": "application/x-ndjson"}
		if lang != "" {
			h["Accept-Language"] = lang
		}
		r := do(t, "POST", base+"/api/v1/links/bulk", h, strings.NewReader(body))
		var out struct {
			Failed int
			Rows   []struct {
				Error *struct{ Code, Field, Message string }
			}
		}
		decodeJSON(t, r.Body, &out)
		if r.Status != 200 || out.Failed != 1 || len(out.Rows) != 2 || out.Rows[1].Error == nil {
			t.Fatalf("bulk (%q): %d %s", lang, r.Status, r.Body)
		}
		if e := out.Rows[1].Error; e.Code != "invalid" || e.Field != "target" || han(e.Message) != wantHan {
			t.Errorf("bulk row error (Accept-Language %q): %+v; want invalid, field target, Chinese %v", lang, e, wantHan)
		}
	}

	// The write rate limit.
	_, lim := testMain(t, func(c *config.Serve) { c.InitialAPIKey = adminKey; c.WriteRateLimit = 1 })
	for i, lang := range []string{"", "", "zh-CN"} {
		got := callErr(t, "POST", lim+"/api/v1/links", adminKey, js, `{"target":"https://example.com/x"}`, lang)
		if i == 0 {
			continue // within the limit (a 400)
		}
		if got.Status != 429 || got.Code != "rate_limited" || han(got.Msg) != (lang != "") {
			t.Errorf("over the limit (Accept-Language %q): %+v; want 429 rate_limited in that language", lang, got)
		}
	}
}
