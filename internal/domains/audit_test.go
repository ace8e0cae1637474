package domains

import (
	"strings"
	"testing"
	"time"
)

func TestAudit(t *testing.T) {
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	d := Domain{Host: "s1.test", Pool: DefaultPool, Role: Entry, Status: Active}
	d.Added("seed", "--domains", now)
	before := d
	d.SetStatus(Blocked, now)
	d.Priority = 5
	if !d.Audit(before, "api key k1", "已停止访问", now) {
		t.Fatal("a status and priority change left no record")
	}
	if len(d.History) != 2 || d.History[0].What != "added" || d.History[1].By != "api key k1" ||
		d.History[1].What != "status active → blocked; priority 0 → 5" || d.History[1].Reason != "已停止访问" {
		t.Fatalf("history %+v", d.History)
	}
	before = d
	d.LastVerdict, d.LastCheck = Hard, now // a check that moved nothing
	if d.Audit(before, "check", "", now) || len(d.History) != 2 {
		t.Fatalf("a change of nothing audited: %+v", d.History)
	}
	before = d
	d.ICP = "京ICP备12345678号"
	d.Audit(before, "api key k1", "", now)
	if got := d.History[2].What; got != "icp (none) → 京ICP备12345678号" {
		t.Errorf("icp change: %q", got)
	}
	for i := range 2 * MaxHistory {
		before = d
		d.Priority = i + 100
		d.Audit(before, "check", "", now)
	}
	if len(d.History) != MaxHistory || !strings.Contains(d.History[MaxHistory-1].What, "→ 199") {
		t.Errorf("history kept %d changes, last %q; want the last %d", len(d.History), d.History[len(d.History)-1].What, MaxHistory)
	}
}

func TestRetireGrace(t *testing.T) {
	now := time.Now()
	d := Domain{Host: "s3.test", Pool: DefaultPool, Role: Entry, Status: Standby}
	if !d.Retire(now, time.Hour) || !d.ServesAt(now.Add(59*time.Minute)) || d.ServesAt(now.Add(time.Hour)) || d.Healthy() {
		t.Fatalf("retired with an hour's grace: %+v", d)
	}
	if d.Retire(now.Add(time.Minute), 0) || !d.ServesUntil.Equal(now.Add(time.Hour)) {
		t.Errorf("retiring again moved the grace period: %v", d.ServesUntil)
	}
	d.SetStatus(Standby, now)
	if !d.ServesUntil.IsZero() || !d.ServesAt(now.Add(48*time.Hour)) {
		t.Errorf("back to standby: %+v", d)
	}
	d.Retire(now, 0)
	if d.ServesAt(now) {
		t.Error("retired without grace still serves")
	}

	// The registry: a host in its grace period serves until it ends,
	// without waiting for the next Set; one past it is 404 at once.
	in := Domain{Host: "grace.test", Pool: DefaultPool, Role: Entry}
	in.Retire(now, 300*time.Millisecond)
	out := Domain{Host: "gone.test", Pool: DefaultPool, Role: Entry}
	out.Retire(now.Add(-time.Hour), time.Minute)
	var r Registry
	r.Set([]Domain{{Host: "s1.test", Pool: DefaultPool, Role: Entry, Status: Active}, in, out})
	if _, ok := r.TapKeys("grace.test"); !ok {
		t.Error("grace.test in its grace period: not served")
	}
	if _, ok := r.TapKeys("gone.test"); ok {
		t.Error("gone.test past its grace period: served")
	}
	time.Sleep(400 * time.Millisecond)
	if _, ok := r.TapKeys("grace.test"); ok {
		t.Error("grace.test after its grace period: still served")
	}
	if _, ok := r.TapKeys("s1.test"); !ok {
		t.Error("s1.test: not served")
	}
}

func TestPendingAlerts(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	d := Domain{Host: "s1.test"}
	a := Alert{Host: "s1.test", Status: Blocked, Previous: Active, At: t0}
	d.QueueAlert(a)
	d.QueueAlert(a) // the same alert twice is kept once
	if len(d.PendingAlerts) != 1 {
		t.Fatalf("pending %d; want 1", len(d.PendingAlerts))
	}
	due, exp := d.ClaimAlerts(t0, time.Second)
	if len(due) != 1 || len(exp) != 0 || due[0].Attempts != 1 || !d.PendingAlerts[0].NextTry.Equal(t0.Add(time.Second)) {
		t.Fatalf("first claim: due %+v expired %+v pending %+v", due, exp, d.PendingAlerts)
	}
	if due, _ := d.ClaimAlerts(t0.Add(500*time.Millisecond), time.Second); len(due) != 0 {
		t.Error("claimed again before its next try")
	}
	due, _ = d.ClaimAlerts(t0.Add(time.Second), time.Second)
	if len(due) != 1 || !d.PendingAlerts[0].NextTry.Equal(t0.Add(3*time.Second)) {
		t.Fatalf("second claim: due %+v pending %+v; want the wait doubled", due, d.PendingAlerts)
	}
	if !d.ClearAlert(a.Key()) || d.PendingAlerts != nil || d.ClearAlert(a.Key()) {
		t.Errorf("clear: pending %+v", d.PendingAlerts)
	}
	d.QueueAlert(a)
	if _, exp := d.ClaimAlerts(t0.Add(AlertGiveUp+time.Second), time.Second); len(exp) != 1 || d.PendingAlerts != nil {
		t.Errorf("after 24 h: expired %+v pending %+v; want it dropped", exp, d.PendingAlerts)
	}
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 5: 8 * time.Minute, 6: 10 * time.Minute, 40: 10 * time.Minute} {
		if got := AlertBackoff(0, n); got != want {
			t.Errorf("AlertBackoff(0, %d) = %v; want %v", n, got, want)
		}
	}
}
