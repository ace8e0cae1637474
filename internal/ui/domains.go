package ui

import (
	"context"
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/internal/domains"
)

// DomainList reads the domain records (shortlink.DomainStore.ListDomains)
// and the taps on each host in the last hour, every instance's (nil:
// unknown).
type DomainList func(ctx context.Context) ([]domains.Domain, map[string]int64, error)

// maxChanges bounds the Domains page's list of changes.
const maxChanges = 100

// domainMessages are the Domains page's messages, merged into the catalogue.
var domainMessages = map[string][2]string{
	"nav.domains":      {"域名", "Domains"},
	"dom.title":        {"域名池", "Domain pools"},
	"dom.lead":         {"短链与二维码使用各池当前最佳的健康域名；被封的域名在微信外仍可打开。", "Short URLs and QR codes use each pool's best healthy domain now; a blocked domain still opens outside WeChat."},
	"dom.none":         {"未配置域名：短链使用 --base-url 或请求的 Host。用 --domains 或 hutong domains add 添加。", "No domains configured: short URLs use --base-url or the request's Host. Add some with --domains or hutong domains add."},
	"dom.off":          {"此安装未启用域名池。", "Domain pools are not available on this install."},
	"dom.banner":       {"域名池 %s 只剩 %d 个健康域名（少于 %d）：请添加已备案的备用域名。", "Pool %s has %d healthy domain(s), fewer than %d: add an ICP-filed spare."},
	"dom.pool":         {"池 %s：短链在 %s，二维码在 %s", "Pool %s: short URLs on %s, QR codes on %s"},
	"dom.host":         {"域名", "Host"},
	"dom.role":         {"用途", "Role"},
	"dom.prio":         {"优先级", "Priority"},
	"dom.status":       {"状态", "Status"},
	"dom.since":        {"自", "Since"},
	"dom.check":        {"最近检测", "Last check"},
	"dom.strikes":      {"半年内封禁", "Strikes (6 months)"},
	"dom.icp":          {"备案号", "ICP"},
	"dom.taps":         {"近 1 小时点击", "Taps (last hour)"},
	"dom.history":      {"变更记录", "Who changed what"},
	"dom.h.at":         {"时间", "When"},
	"dom.h.by":         {"操作者", "By"},
	"dom.h.what":       {"变更", "What"},
	"dom.h.why":        {"原因", "Why"},
	"dom.h.none":       {"尚无变更。", "No changes yet."},
	"dom.h.more":       {"仅显示最近 %d 条；完整记录见 GET /api/v1/domains。", "The last %d shown; every record's history is in GET /api/v1/domains."},
	"dom.cli":          {"修改：hutong domains block|unblock|retire HOST，或 PATCH /api/v1/domains/{host}。", "Change: hutong domains block|unblock|retire HOST, or PATCH /api/v1/domains/{host}."},
	"dom.s.active":     {"使用中", "active"},
	"dom.s.standby":    {"备用", "standby"},
	"dom.s.suspect":    {"疑似被封", "suspect"},
	"dom.s.blocked":    {"已被封", "blocked"},
	"dom.s.appealing":  {"申诉中", "appealing"},
	"dom.s.retired":    {"已停用", "retired"},
	"dom.r.entry":      {"分享", "entry"},
	"dom.r.qr":         {"二维码", "qr"},
	"dom.r.landing":    {"落地页", "landing"},
	"dom.v.":           {"—", "—"},
	"dom.v.ok":         {"正常", "ok"},
	"dom.v.transcoded": {"被转码", "transcoded"},
	"dom.v.soft":       {"复制到浏览器打开", "soft block"},
	"dom.v.hard":       {"已停止访问", "hard block"},
	"dom.v.unknown":    {"未知", "unknown"},
}

type domainRow struct {
	domains.Domain
	Strikes int
	// Taps is the taps in the last hour; nil when unknown.
	Taps *int64
}

// changeRow is one audit record of one domain.
type changeRow struct {
	Host string
	domains.Change
}

type poolRow struct {
	Pool, ShortHost, QRHost string
	Healthy                 int
	BelowMin                bool
}

type domainsData struct {
	Off        bool
	Rows       []domainRow
	Pools      []poolRow
	Changes    []changeRow // newest first, at most maxChanges
	More       int         // maxChanges, when more were left out
	MinHealthy int
	Error      string
}

// handleDomains shows every domain with its state, since when, last
// verdict, strikes and taps in the last hour, a banner for a pool short of
// healthy domains, and who changed what (every record's history, newest
// first).
func (u *ui) handleDomains(c *fiber.Ctx, rq *req) error {
	d := &domainsData{MinHealthy: max(1, u.d.MinHealthy)}
	v := u.newView(c, rq, "dom.title", "domains", d)
	if u.d.DomainList == nil {
		d.Off = true
		return u.render(c, fiber.StatusOK, "domains", v)
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	all, taps, err := u.d.DomainList(ctx)
	if err != nil {
		u.log.Error("ui: list domains", "err", err)
		d.Error = v.T("err.unavailable")
		return u.render(c, fiber.StatusServiceUnavailable, "domains", v)
	}
	now := u.now()
	seen := map[string]bool{}
	for _, x := range all {
		row := domainRow{Domain: x, Strikes: x.StrikeCount(now)}
		if taps != nil {
			n := taps[x.Host]
			row.Taps = &n
		}
		d.Rows = append(d.Rows, row)
		for _, ch := range x.History {
			d.Changes = append(d.Changes, changeRow{Host: x.Host, Change: ch})
		}
		if seen[x.Pool] {
			continue
		}
		seen[x.Pool] = true
		p := poolRow{Pool: x.Pool, Healthy: domains.HealthyCount(all, x.Pool), ShortHost: "—", QRHost: "—"}
		p.BelowMin = p.Healthy < d.MinHealthy
		if e, ok := domains.Pick(all, x.Pool, domains.Entry); ok {
			p.ShortHost = e.Host
		}
		if q, ok := domains.Pick(all, x.Pool, domains.QR); ok {
			p.QRHost = q.Host
		} else {
			p.QRHost = p.ShortHost
		}
		d.Pools = append(d.Pools, p)
	}
	sort.SliceStable(d.Changes, func(i, j int) bool { return d.Changes[i].At.After(d.Changes[j].At) })
	if len(d.Changes) > maxChanges {
		d.Changes, d.More = d.Changes[:maxChanges], maxChanges
	}
	return u.render(c, fiber.StatusOK, "domains", v)
}
