package server

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hutong-dev/hutong/internal/clientinfo"
	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/internal/route"
)

func testServer(t *testing.T) *Server {
	t.Helper()
	table, err := route.New()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := pages.New()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Rules: route.NewHolder(table), Clients: clientinfo.NewDetector(clientinfo.Config{}), Pages: pg}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOpenAPIInSync: every /api/v1 route is in openapi.json and every
// operation there is a route.
func TestOpenAPIInSync(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" /api/v1"+p] = true
		}
	}
	param := regexp.MustCompile(`:([a-z]+)`)
	served := map[string]bool{}
	for _, r := range testServer(t).App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || strings.HasSuffix(r.Path, "*") || r.Method == "HEAD" {
			continue
		}
		served[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	var missing, extra []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("openapi.json out of sync:\n served, not documented: %v\n documented, not served: %v", missing, extra)
	}
}
