// Package errtext words hutong's errors in Chinese and English: the one
// message table that the web UI shows next to its form fields and that the
// API answers in an error's "message". An error is a *shortlink.Error; its
// kind (Code), field and reason (shortlink.Reason*) pick the words, never
// its English message, so the machine fields stay the same in every
// language. Pure functions over fixed tables, safe for concurrent use.
package errtext

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hutong-dev/hutong/internal/pages"
	"github.com/hutong-dev/hutong/shortlink"
)

// Messages is the table: key → [zh-CN, English]. "code.X" words the kind
// X (every shortlink.Code* has one); "reason.X" words the reason X about a
// field named by %s (every shortlink.Reason* has one); the "e.…" keys
// word one rule of one field (rules). The web UI's catalogue includes it.
var Messages = map[string][2]string{
	// One rule of one field.
	"e.target.required": {"请粘贴链接或淘口令。", "Paste a link or a share text."},
	"e.target.long":     {"内容太长了，请只粘贴链接或淘口令。", "This is too long: paste only the link or share text."},
	"e.target.unknown":  {"hutong 看不懂这段内容：请粘贴淘宝/天猫的商品、店铺、直播间链接或淘口令。", "hutong does not understand this: paste a Taobao/Tmall item, shop or live-room link, or a 淘口令 share text."},
	"e.expires.bad":     {"请按 年-月-日 时:分 填写时间。", "Use a date and time such as 2026-12-31 23:59."},
	"e.expires.past":    {"过期时间必须晚于现在。", "The expiry must be in the future."},
	"e.number":          {"请输入不小于 0 的整数。", "Enter a whole number of 0 or more."},
	"e.sku":             {"SKU 只能是数字。", "A SKU is digits only."},
	"e.quantity":        {"数量应为 1 到 999 的整数。", "Quantity is a whole number from 1 to 999."},
	"e.image":           {"请填写以 http:// 或 https:// 开头的图片地址。", "Enter an image URL starting with http:// or https://."},
	"e.domain":          {"这个域名没有在本服务上配置。", "This domain is not served here."},
	"e.alias.taken":     {"这个后缀已被使用，请换一个。", "This alias is taken: choose another."},
	"e.alias.bad":       {"后缀只能用 3 到 64 个字母、数字、“_”或“-”，且不能是保留词。", "An alias is 3 to 64 letters, digits, '_' or '-', and not a reserved word."},
	"edit.conflict":     {"这条短链刚被其他人修改过，请重新打开后再编辑。", "Someone else changed this link meanwhile. Reopen it and edit again."},
	"err.unavailable":   {"存储暂时不可用，请稍后重试。", "The store is unavailable right now. Try again shortly."},
	// A field's words when no rule of it says more (%s: its name).
	"e.field": {"“%s”有误：", "%s: "},
	"e.other": {"输入有误：", "Invalid input: "},

	// The reasons (shortlink.Reason*), about the field %s.
	"reason." + shortlink.ReasonRequired:  {"请填写“%s”。", "%s is required."},
	"reason." + shortlink.ReasonTooLong:   {"“%s”太长了，请缩短。", "%s is too long: shorten it."},
	"reason." + shortlink.ReasonUnknown:   {"hutong 看不懂“%s”的内容。", "hutong does not understand %s."},
	"reason." + shortlink.ReasonPast:      {"“%s”必须晚于现在。", "%s must be in the future."},
	"reason." + shortlink.ReasonFormat:    {"“%s”的格式不对。", "%s cannot be read."},
	"reason." + shortlink.ReasonURL:       {"“%s”必须是以 http:// 或 https:// 开头的地址。", "%s must be an http(s) URL."},
	"reason." + shortlink.ReasonNotServed: {"“%s”不是本服务配置的域名。", "%s is not served here."},
	"reason." + shortlink.ReasonRange:     {"“%s”超出允许的范围。", "%s is out of range."},
	"reason." + shortlink.ReasonChoice:    {"“%s”不是可选的值之一。", "%s is not one of the values it can take."},

	// The kinds (shortlink.Code*). The English is the message of an error
	// that has no more to say.
	"code." + shortlink.CodeInvalid:              {"请求有误", "invalid request"},
	"code." + shortlink.CodeUnauthorized:         {"需要有效的 API 密钥", "an API key is needed"},
	"code." + shortlink.CodeForbidden:            {"这个 API 密钥没有这项操作所需的权限", "this API key lacks the scope"},
	"code." + shortlink.CodeNotFound:             {"没有找到", "not found"},
	"code." + shortlink.CodeMethodNotAllowed:     {"这个地址不支持该请求方法", "method not allowed"},
	"code." + shortlink.CodeTimeout:              {"请求超时", "request timed out"},
	"code." + shortlink.CodeConflict:             {"与已有的数据冲突", "conflict"},
	"code." + shortlink.CodeGone:                 {"这条短链已失效（已过期、已停用或已达点击上限）", "gone"},
	"code." + shortlink.CodeTooLarge:             {"请求内容太大", "request body too large"},
	"code." + shortlink.CodeUnsupportedMediaType: {"不支持这种请求内容格式", "unsupported media type"},
	"code." + shortlink.CodeRateLimited:          {"请求太频繁，请放慢速度，按 Retry-After 的秒数后重试", "too many requests: slow down and retry later"},
	"code." + shortlink.CodeUnavailable:          {"服务暂时不可用，请稍后重试", "unavailable"},
	"code." + shortlink.CodeInternal:             {"服务器内部错误", "internal error"},
	"code." + shortlink.CodeInvalidTpwd:          {"粘贴的文字里没有淘口令：请粘贴淘宝 App 或阿里妈妈后台给出的 ￥…￥ 口令（或整段分享文字）", "no 淘口令 in the pasted text"},
	"code." + shortlink.CodeNotPromotionLink:     {"淘宝开放平台只为阿里妈妈推广链接（s.click.taobao.com、uland.taobao.com）生成淘口令：换成推广链接，或自己粘贴口令，或发送 \"tpwd\": \"optional\" 不带口令创建", "not an Alimama promotion link"},
	"code." + shortlink.CodeTpwdRejected:         {"淘宝开放平台拒绝为这个链接生成淘口令", "the platform refused this link"},
	"code." + shortlink.CodeTpwdForbidden:        {"淘宝开放平台应用没有生成淘口令的权限（淘宝客）", "the platform app lacks the permission"},
	"code." + shortlink.CodeTpwdRateLimited:      {"淘宝开放平台应用的调用次数已用完，请稍后重试", "the platform app's call limit is reached"},
	"code." + shortlink.CodeTpwdUpstream:         {"淘宝开放平台返回了错误或没有响应，请稍后重试", "the platform answered an error or nothing"},
	"code." + shortlink.CodeTpwdNotConfigured:    {"本服务没有配置淘口令生成（运维需设置 --top-app-key 和 --top-app-secret）", "minting 淘口令 is not configured"},
	"code." + shortlink.CodeTpwdUnavailable:      {"多次失败后淘口令生成已暂停，请稍后重试", "minting 淘口令 is paused after repeated failures"},
}

// whole are the kinds whose Chinese words say all that their English
// messages do: no English detail follows them.
var whole = map[string]bool{
	shortlink.CodeInvalidTpwd:       true,
	shortlink.CodeNotPromotionLink:  true,
	shortlink.CodeTpwdNotConfigured: true,
}

// rules word one rule of one field: the error's field and reason ("" is
// any reason) → the key of its words. form marks the rules that speak of
// the web form (its date format, its number box): the API does not use
// them.
var rules = []struct {
	field, reason, key string
	form               bool
}{
	{"target", shortlink.ReasonRequired, "e.target.required", false},
	{"target", shortlink.ReasonTooLong, "e.target.long", false},
	{"target", shortlink.ReasonUnknown, "e.target.unknown", false},
	{"expires_at", shortlink.ReasonFormat, "e.expires.bad", true},
	{"expires_at", shortlink.ReasonPast, "e.expires.past", false},
	{"max_clicks", "", "e.number", true},
	{"route.sku", shortlink.ReasonFormat, "e.sku", false},
	{"route.quantity", "", "e.quantity", false},
	{"image", shortlink.ReasonURL, "e.image", false},
	{"domain", shortlink.ReasonNotServed, "e.domain", false},
}

func index(l pages.Lang) int {
	if l == pages.LangEN {
		return 1
	}
	return 0
}

// rule is the key of the rule that words e ("" when none).
func rule(e *shortlink.Error, form bool) string {
	if e.Field == "" {
		return ""
	}
	for _, r := range rules {
		if r.field == e.Field && (r.reason == "" || r.reason == e.Reason) && (form || !r.form) {
			return r.key
		}
	}
	return ""
}

// chinese words e from its field (called label) and reason: the alias
// rules, then the reason; whole is false for a reason's words, which name
// the field and the rule but not the detail (the value, its bounds).
func chinese(e *shortlink.Error, label string) (msg string, whole, ok bool) {
	switch {
	case e.Field == "alias" && e.Code == shortlink.CodeConflict:
		return Messages["e.alias.taken"][0], true, true
	case e.Field == "alias" && e.Code == shortlink.CodeInvalid:
		return Messages["e.alias.bad"][0], true, true
	}
	if w, found := Messages["reason."+e.Reason]; found && e.Reason != "" && label != "" {
		return fmt.Sprintf(w[0], label), false, true
	}
	return "", false, false
}

// Form is e as a web form shows it in lang, next to the field the reader
// knows as label (its name on the form): a rule's words in lang; else, in
// English, shortlink's own message (it names what to fix); in Chinese the
// alias rules, the reason about label, else label's name (or "输入有误")
// before the English detail, so a page never shows an unexplained English
// sentence.
func Form(lang pages.Lang, e *shortlink.Error, label string) string {
	if k := rule(e, true); k != "" {
		return Messages[k][index(lang)]
	}
	if lang == pages.LangEN {
		return e.Message
	}
	if e.Code == shortlink.CodeConflict && e.Field != "alias" {
		return Messages["edit.conflict"][0]
	}
	if msg, _, ok := chinese(e, label); ok {
		return msg
	}
	if label == "" {
		return Messages["e.other"][0] + e.Message
	}
	return strings.TrimSpace(fmt.Sprintf(Messages["e.field"][0], label) + e.Message)
}

// API is the "message" of an API error in lang. English is shortlink's
// own message, as ever. Chinese is a rule's words, the alias rules, the
// reason about the field (by its API name), else the kind's words; words
// that do not carry the detail (the value, the allowed values, the
// bounds, the platform's answer) are followed by "：" and the English
// message, which does. An error that is not a *shortlink.Error is the
// kind internal.
func API(lang pages.Lang, err error) string {
	var e *shortlink.Error
	if !errors.As(err, &e) {
		return Messages["code."+shortlink.CodeInternal][index(lang)]
	}
	if lang != pages.LangZH {
		return e.Message
	}
	if k := rule(e, false); k != "" {
		return Messages[k][0]
	}
	msg, complete, ok := chinese(e, e.Field)
	if !ok {
		w, found := Messages["code."+e.Code]
		if !found {
			w = Messages["code."+shortlink.CodeInternal]
		}
		if e.Message == "" || e.Message == w[1] || whole[e.Code] {
			return w[0]
		}
		msg = w[0]
	}
	if complete {
		return msg
	}
	return strings.TrimSuffix(msg, "。") + "：" + e.Message
}

// LangOf is the language of an API answer from the request's
// Accept-Language: LangZH when the range the caller prefers (q-values
// honoured; on a tie the first listed) is a Chinese one (zh, zh-CN,
// zh-Hans, zh-TW, …), else LangEN — also with no header, "*" or only
// other languages, so a client that asks nothing keeps English answers.
// It does not allocate.
func LangOf(acceptLanguage string) pages.Lang {
	return pages.LangFromAcceptLanguageOr(acceptLanguage, pages.LangEN)
}
