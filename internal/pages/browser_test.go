package pages

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/e2etest"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
)

// TestInterstitialInBrowser drives the interstitial in headless Chromium
// (e2e/interstitial.mjs, playwright-core): iPhone/Safari and Android/Chrome
// user agents, the button's text and href, the fallback to /landed after a
// tap nothing answers, the fallback cancelled when the page is hidden, the
// copy button, and no console errors under the CSP the server sends.
// Screenshots go to e2e/artifacts/.
//
// It runs when HUTONG_E2E is set (scripts/test sets it) or CI=true, and
// skips when node, /usr/bin/chromium or playwright-core are missing —
// except under CI=true, where that fails. HUTONG_TEST_SHORT=1 skips it.
func TestInterstitialInBrowser(t *testing.T) {
	env := e2etest.Require(t)
	node, chromium, e2e := env.Node, env.Chromium, env.Dir

	r := newRenderer(t)
	srv := httptest.NewServer(testSite(t, r))
	defer srv.Close()

	artifacts := filepath.Join(e2e, "artifacts")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(e2e, "interstitial.mjs"), srv.URL+"/i", artifacts,
		"guide="+srv.URL+"/guide", "info="+srv.URL+"/info", "gone="+srv.URL+"/gone")
	cmd.Dir = e2e
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("node e2e/interstitial.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser checks failed: %v", err)
	}
}

// testSite serves the pages the browser test visits, each with the CSP
// header the real server sends.
func testSite(t *testing.T, r *Renderer) http.Handler {
	mux := http.NewServeMux()
	page := func(status int, render func(w http.ResponseWriter, req *http.Request, lang Lang) error) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			w.Header().Set("Content-Type", ContentType)
			w.Header().Set("Content-Security-Policy", r.CSP())
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			if err := render(w, req, LangFromAcceptLanguage(req.Header.Get("Accept-Language"))); err != nil {
				t.Errorf("render %s: %v", req.URL.Path, err)
			}
		}
	}
	entity := resolver.Entity{
		Platform: resolver.PlatformTaobao, Kind: resolver.KindItem, ID: "123456789", IDType: resolver.IDItem,
		Title: "夏季新款 纯棉短袖T恤 男女同款 宽松百搭", Tpwd: "CZ3457 aBcDeFgHiJk",
	}
	mux.HandleFunc("GET /i", page(http.StatusOK, func(w http.ResponseWriter, req *http.Request, lang Lang) error {
		landed := "http://" + req.Host + "/landed"
		ua := req.UserAgent()
		return r.Interstitial(w, lang, Interstitial{
			Decision: route.Decision{
				Action:   route.ActionInterstitial,
				Location: landed,
				AppURL:   "tbopen://m.taobao.com/tbopen/index.html?action=ali.open.nav&module=h5&bootImage=0&h5Url=" + url.QueryEscape(landed),
				IntentURL: "intent://m.taobao.com/tbopen/index.html?action=ali.open.nav&module=h5&h5Url=" + url.QueryEscape(landed) +
					"#Intent;scheme=tbopen;package=com.taobao.taobao;S.browser_fallback_url=" + url.QueryEscape(landed) + ";end",
			},
			Entity:    entity,
			UseIntent: strings.Contains(ua, "Android") && strings.Contains(ua, "Chrome/"),
		})
	}))
	mux.HandleFunc("GET /landed", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		fmt.Fprint(w, "<!doctype html><title>landed</title><p>landed")
	})
	mux.HandleFunc("GET /guide", page(http.StatusOK, func(w http.ResponseWriter, req *http.Request, lang Lang) error {
		return r.Guide(w, lang, Guide{Entity: entity, Link: "http://" + req.Host + "/i"})
	}))
	mux.HandleFunc("GET /info", page(InfoNotAllowed.Status(), func(w http.ResponseWriter, _ *http.Request, lang Lang) error {
		return r.Info(w, lang, Info{Kind: InfoNotAllowed, Copy: "https://example.com/some/very/long/path?with=parameters&and=more"})
	}))
	mux.HandleFunc("GET /gone", page(InfoExpired.Status(), func(w http.ResponseWriter, _ *http.Request, lang Lang) error {
		return r.Info(w, lang, Info{Kind: InfoExpired, RequestID: "01J9Z8ABCDEF"})
	}))
	return mux
}
