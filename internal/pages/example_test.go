package pages_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/route"
	"github.com/hutong-dev/hutong/resolver"
)

// A handler serves the interstitial with the page's CSP header, in the
// language the browser asks for.
func Example() {
	r, err := pages.New() // once, at start
	if err != nil {
		panic(err)
	}
	h := func(w http.ResponseWriter, req *http.Request) {
		lang := pages.LangFromAcceptLanguage(req.Header.Get("Accept-Language"))
		w.Header().Set("Content-Type", pages.ContentType)
		w.Header().Set("Content-Security-Policy", r.CSP())
		err := r.Interstitial(w, lang, pages.Interstitial{
			Decision: route.Decision{
				Action:   route.ActionInterstitial,
				Location: "https://main.m.taobao.com/security-h5-detail/home?id=1",
				AppURL:   "tbopen://m.taobao.com/tbopen/index.html?action=ali.open.nav&module=h5&h5Url=https%3A%2F%2Fmain.m.taobao.com%2Fsecurity-h5-detail%2Fhome%3Fid%3D1",
			},
			Entity: resolver.Entity{Kind: resolver.KindItem, Title: "纯棉T恤"},
		})
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			_ = r.Info(w, lang, pages.Info{Kind: pages.InfoInternal})
		}
	}
	req := httptest.NewRequest("GET", "/aB3x", nil)
	req.Header.Set("Accept-Language", "en-US,en;q=0.9")
	rec := httptest.NewRecorder()
	h(rec, req)
	body := rec.Body.String()
	fmt.Println(rec.Code, strings.Contains(body, `<html lang="en">`), strings.Contains(body, `href="tbopen://`))
	// Output: 200 true true
}

// Info pages carry their own status code.
func ExampleInfoKind_Status() {
	fmt.Println(pages.InfoNotFound.Status(), pages.InfoExpired.Status(), pages.InfoBadInput.Status(),
		pages.InfoTooLarge.Status(), pages.InfoNotAllowed.Status())
	// Output: 404 410 400 413 403
}
