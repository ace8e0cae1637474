package ui

// moreMessages are the messages of the events export, tag pages and QR
// caption (kept apart from messages so parallel edits merge).
var moreMessages = map[string][2]string{
	"ev.export":   {"导出点击明细", "Export click events"},
	"ev.range":    {"时间范围", "Range"},
	"ev.format":   {"格式", "Format"},
	"ev.1d":       {"近 24 小时", "Last 24 hours"},
	"ev.7d":       {"近 7 天", "Last 7 days"},
	"ev.30d":      {"近 30 天", "Last 30 days"},
	"ev.all":      {"全部保留的记录", "Everything kept"},
	"ev.help":     {"每次点击一行：时间、短链、客户端、场景、广告点击 ID 等。点击记录按 --events-retention 保留。", "One row per tap: time, link, client, scene, ad click IDs and more. Taps are kept for --events-retention."},
	"ev.bad":      {"时间范围无效。", "That range is not valid."},
	"ev.off":      {"没有开启点击记录。", "Click tracking is off."},
	"tag.title":   {"标签", "Tag"},
	"tag.nolinks": {"这个标签还没有短链。", "No link has this tag yet."},
	// lang.zh marks the Chinese catalogue (userError).
	"lang.zh": {"1", ""},
	// Singular forms for a count of 1 ("pl" in templates).
	"stats.people1": {"人", "person"},
	"stats.bots1":   {"机器人", "bot"},
	"ov.today1":     {"人 · 今天", "person today"},
	"ov.7d1":        {"人 · 近 7 天", "person, last 7 days"},
	"ov.30dk1":      {"人 · 近 30 天", "person, last 30 days"},
}
