package domains

import (
	"regexp"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

func pool3(t *testing.T) []Domain {
	t.Helper()
	ds, err := FromList([]string{"S1.test", "s2.test:8080", "s3.test."}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestFromListAndPick(t *testing.T) {
	ds := pool3(t)
	if d, ok := Pick(ds, "", Entry); !ok || d.Host != "s1.test" {
		t.Fatalf("got %q %v; want s1.test", d.Host, ok)
	}
	ds[0].SetStatus(Blocked, t0)
	if d, _ := Pick(ds, DefaultPool, Entry); d.Host != "s2.test" {
		t.Fatalf("after block got %q; want s2.test (best standby)", d.Host)
	}
	ds[1].SetStatus(Blocked, t0)
	if d, _ := Pick(ds, DefaultPool, Entry); d.Host != "s3.test" {
		t.Fatalf("got %q; want s3.test", d.Host)
	}
	if n := HealthyCount(ds, DefaultPool); n != 1 {
		t.Fatalf("healthy got %d; want 1", n)
	}
	ds[2].SetStatus(Retired, t0)
	if _, ok := Pick(ds, DefaultPool, Entry); ok {
		t.Fatal("pick with no healthy domain; want none")
	}
	if !ds[0].Serves() || ds[2].Serves() {
		t.Fatal("blocked must serve, retired must not")
	}
	if _, ok := Pick(ds, DefaultPool, QR); ok {
		t.Fatal("no qr host configured; want none")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    Domain
		ok   bool
	}{
		{"defaults", Domain{Host: "a.test"}, true},
		{"empty", Domain{}, false},
		{"path", Domain{Host: "a.test/x"}, false},
		{"userinfo", Domain{Host: "evil@a.test"}, false},
		{"role", Domain{Host: "a.test", Role: "x"}, false},
		{"status", Domain{Host: "a.test", Status: "dead"}, false},
	} {
		err := tc.d.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: got err %v; want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestHysteresisTable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rounds [][]Verdict
		want   Status
	}{
		{"timeout", [][]Verdict{{Unknown}, {Unknown}, {Unknown}}, Active},
		{"one hard", [][]Verdict{{Hard}}, Suspect},
		{"two hard", [][]Verdict{{Hard}, {Hard}}, Blocked},
		{"two checkers", [][]Verdict{{Hard, Hard}}, Blocked},
		{"unknown between", [][]Verdict{{Hard}, {Unknown}, {Hard}}, Blocked},
		{"flapping", [][]Verdict{{Hard}, {OK}, {Hard}, {OK}, {Hard}}, Suspect},
		{"suspect recovers", [][]Verdict{{Hard}, {OK}, {OK}}, Standby},
		{"soft no block", [][]Verdict{{Soft}, {Soft}, {Soft}}, Active},
		{"blocked stays", [][]Verdict{{Hard}, {Hard}, {OK}, {OK}, {OK}}, Blocked},
	} {
		d := Domain{Host: "a.test", Status: Active}
		for _, r := range tc.rounds {
			Policy{}.Apply(&d, r, t0)
		}
		if d.Status != tc.want {
			t.Errorf("%s: got %s; want %s", tc.name, d.Status, tc.want)
		}
	}
	d := Domain{Host: "a.test", Status: Blocked}
	p := Policy{RecoverAfter: 2}
	p.Apply(&d, []Verdict{OK}, t0)
	p.Apply(&d, []Verdict{OK}, t0)
	if d.Status != Standby {
		t.Errorf("recovery: got %s; want standby", d.Status)
	}
}

func TestStrikes(t *testing.T) {
	d := Domain{Host: "a.test", Status: Active}
	d.SetStatus(Blocked, t0.Add(-200*24*time.Hour))
	d.SetStatus(Appealing, t0)
	d.SetStatus(Blocked, t0)
	if n := d.StrikeCount(t0); n != 1 {
		t.Fatalf("strikes got %d; want 1 (one outside 6 months)", n)
	}
}

func TestClassify(t *testing.T) {
	c := Classifier{Blocked: regexp.MustCompile(`"blocked"|已停止访问`), Soft: regexp.MustCompile(`复制到浏览器打开`)}
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   Verdict
	}{
		{"ok", 200, `{"status":"ok"}`, OK},
		{"hard", 200, `{"status":"blocked"}`, Hard},
		{"hard zh", 200, `已停止访问该网页`, Hard},
		{"soft", 200, `请复制到浏览器打开`, Soft},
		{"transcoded", 200, `页面被转码`, Transcoded},
		{"rate limited", 429, `{"status":"blocked"}`, Unknown},
		{"server error", 503, `x`, Unknown},
		{"empty", 200, ``, Unknown},
		{"garbage", 200, "\xff\xfe\x00", Unknown},
	} {
		if got := c.Classify(tc.status, []byte(tc.body)); got != tc.want {
			t.Errorf("%s: got %s; want %s", tc.name, got, tc.want)
		}
	}
}
