package clientinfo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// corpusCase is one line of testdata/ua-dev.jsonl.
type corpusCase struct {
	UA     string `json:"ua"`
	App    App    `json:"app"`
	OS     OS     `json:"os"`
	Device Device `json:"device"`
	Source string `json:"source"`
	Family string `json:"family"`
}

const corpusPath = "../../testdata/ua-dev.jsonl"

func loadCorpus(tb testing.TB) []corpusCase {
	tb.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		tb.Fatalf("open corpus: %v", err)
	}
	defer f.Close()
	var out []corpusCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var c corpusCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			tb.Fatalf("corpus line %d: %v", len(out)+1, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read corpus: %v", err)
	}
	return out
}

// wrongCorpusLabels lists corpus entries (by subtest name) whose label is
// believed wrong, with the reason. They are skipped, not special-cased.
var wrongCorpusLabels = map[string]string{}

func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) == 0 {
		t.Fatal("empty corpus")
	}
	d := NewDetector(Config{})
	for i, tc := range cases {
		name := fmt.Sprintf("%s/%02d", tc.Family, i)
		t.Run(name, func(t *testing.T) {
			if why, ok := wrongCorpusLabels[name]; ok {
				t.Skipf("corpus label believed wrong: %s", why)
			}
			got := d.Detect(tc.UA)
			if got.App != tc.App || got.OS != tc.OS || got.Device != tc.Device || got.Bot != (tc.App == AppBot) {
				t.Errorf("Detect(%q)\n got app=%s os=%s device=%s bot=%v (%+v)\nwant app=%s os=%s device=%s bot=%v",
					tc.UA, got.App, got.OS, got.Device, got.Bot, got, tc.App, tc.OS, tc.Device, tc.App == AppBot)
			}
			if !got.Valid() {
				t.Errorf("Detect(%q) = %+v: not Valid", tc.UA, got)
			}
		})
	}
}

// TestCorpusLowerCase runs the corpus as a log pipeline that lowercases
// User-Agents would store it: the app must not depend on the case.
func TestCorpusLowerCase(t *testing.T) {
	d := NewDetector(Config{})
	for i, tc := range loadCorpus(t) {
		name := fmt.Sprintf("%s/%02d", tc.Family, i)
		if _, ok := wrongCorpusLabels[name]; ok {
			continue
		}
		lower := strings.ToLower(tc.UA)
		if got := d.Detect(lower); got.App != tc.App {
			t.Errorf("%s: Detect(%q).App = %s; want %s", name, lower, got.App, tc.App)
		}
	}
}
