package clientinfo

import (
	"strconv"
	"strings"

	"github.com/mileusna/useragent"
)

// classify is the uncached path. ua must already be a private copy: every
// string in the result is ua itself, a substring of it, a constant, or a
// string built here.
func classify(ua string) Client {
	c, _ := classifyExplain(ua)
	return c
}

// explanation records which rule decided each field; every string is a
// constant or from the parser, so recording costs no allocation.
type explanation struct {
	bot, app, device string
	parserOS         string
}

// classifyExplain is classify, also returning why.
func classifyExplain(ua string) (Client, explanation) {
	var ex explanation
	c := Client{UA: ua}
	lower := asciiLower(ua)
	p, ok := parseUA(ua)
	ex.parserOS = p.OS

	c.OS, c.OSVersion = detectOS(ua, lower, p)

	if name := detectBot(ua, lower, p, ok); name != "" {
		c.App, c.Device, c.Bot, c.BotName = AppBot, DeviceBot, true, name
		ex.bot, ex.device = "bot rules (named bots, preview fetchers, HTTP tools, parser bot flag)", "a bot's device is always bot"
		return c, ex
	}

	if lower == ua {
		// Logged in lower case (log pipelines lowercase UAs): restore the
		// case of the app tokens so the in-app layer matches the family.
		c.App, c.AppVersion, ex.app = detectApp(lowerTokens.Replace(ua))
	} else {
		c.App, c.AppVersion, ex.app = detectApp(ua)
	}
	c.Device, ex.device = detectDevice(ua, lower, c.OS, p)
	if c.App == AppWeChatDesktop {
		c.Device, ex.device = DeviceDesktop, "desktop WeChat is always desktop"
	}
	if c.App == AppBrowser {
		c.Browser = browserName(p)
		// A named browser (Edge, Opera, Huawei Browser…) is not a shell.
		switch c.Browser {
		case "", "Chrome", "Android", "Safari":
			c.UnknownShell = unknownShell(ua, lower, c.OS)
		}
	}
	c.Network = tokenValue(ua, "NetType/")
	c.Language = tokenValue(ua, "Language/")
	return c, ex
}

// unknownShell (for a UA the parser calls plain Chrome, Android or Safari,
// or nothing) reports a web-view of an app hutong does not know: an
// Android web-view (the "; wv)" marker every WebView since Android 5 sends)
// or an iOS WKWebView (AppleWebKit and Mobile/ but no Safari/ token, which
// every iOS browser sends). Such a client is classified as a browser of its
// OS and device (the safe class: it gets the browser's routing) and flagged
// so operators see new shells appear.
func unknownShell(ua, lower string, os OS) bool {
	switch os {
	case OSAndroid, OSHarmonyOS:
		return strings.Contains(lower, "; wv)")
	case OSiOS:
		return strings.Contains(ua, "AppleWebKit") && strings.Contains(ua, " Mobile/") && !strings.Contains(ua, "Safari/")
	}
	return false
}

// parseUA runs the third-party parser, turning a panic on hostile input into
// "parser knows nothing": hutong's own layer still classifies the UA.
func parseUA(ua string) (p useragent.UserAgent, ok bool) {
	defer func() {
		if recover() != nil {
			p, ok = useragent.UserAgent{}, false
		}
	}()
	return useragent.Parse(ua), true
}

// detectApp is the in-app layer, in the order ROUTING.md gives. Bots are
// already out. The third result names the rule that matched (a constant,
// for --explain).
func detectApp(ua string) (App, string, string) {
	hasMM := strings.Contains(ua, "MicroMessenger")
	switch {
	case strings.Contains(ua, "wxwork/"):
		// WeCom UAs also carry MicroMessenger.
		return AppWeCom, versionAfter(ua, "wxwork/"), "wxwork/ token (WeCom UAs also carry MicroMessenger)"
	case hasMM && (strings.Contains(ua, "miniProgram") || strings.Contains(ua, "MiniProgramEnv/")):
		// The mini-program web-view (WeChat >= 7.0.0); also on Windows,
		// where it says WindowsWechat too. Case-sensitive on purpose: Alipay's
		// own mini programs say "MiniProgram" and carry no MicroMessenger.
		// Desktop mini programs (the WMPF runtime) say MiniProgramEnv/Windows
		// or MiniProgramEnv/Mac instead, beside WindowsWechat/WMPF.
		return AppWeChatMiniProgram, versionAfter(ua, "MicroMessenger/"), "MicroMessenger with miniProgram or MiniProgramEnv/ (mini-program web-view)"
	case hasMM && (strings.Contains(ua, "WindowsWechat") || strings.Contains(ua, "MacWechat")) &&
		!hasMobileToken(ua):
		return AppWeChatDesktop, desktopWeChatVersion(ua), "MicroMessenger with WindowsWechat/MacWechat and no mobile token (desktop WeChat)"
	case hasMM:
		return AppWeChat, versionAfter(ua, "MicroMessenger/"), "MicroMessenger token"
	case strings.Contains(ua, "AliApp(TB"):
		return AppTaobao, versionAfter(ua, "AliApp(TB/"), "AliApp(TB token"
	case strings.Contains(ua, "AliApp(TM"):
		return AppTmall, versionAfter(ua, "AliApp(TM/"), "AliApp(TM token"
	case strings.Contains(ua, "AlipayClient"):
		return AppAlipay, versionAfter(ua, "AlipayClient/"), "AlipayClient token"
	case strings.Contains(ua, "AliApp(AP"):
		return AppAlipay, versionAfter(ua, "AliApp(AP/"), "AliApp(AP token (Nebula / AlipayDefined shell)"
	case indexWord(ua, "QQ/") >= 0:
		return AppQQ, versionAt(ua, indexWord(ua, "QQ/")+len("QQ/")), "QQ/ token not inside a longer word"
	case strings.Contains(ua, "QQBrowser/"):
		// MQQBrowser (mobile) and QQBrowser (desktop); WeChat and QQ UAs that
		// also carry MQQBrowser (TBS web-view) were matched above.
		return AppQQBrowser, versionAfter(ua, "QQBrowser/"), "QQBrowser/ token (MQQBrowser, QBCore desktop)"
	case strings.Contains(ua, "Weibo"):
		return AppWeibo, versionAfter(ua, "__weibo__"), "Weibo token"
	case strings.Contains(ua, "aweme") || strings.Contains(ua, "BytedanceWebview"):
		return AppDouyin, douyinVersion(ua), "aweme or BytedanceWebview token"
	case strings.Contains(ua, "DingTalk"):
		if v := versionAfter(ua, "AliApp(DingTalk/"); v != "" {
			return AppDingTalk, v, "DingTalk token"
		}
		return AppDingTalk, versionAfter(ua, "DingTalk/"), "DingTalk token"
	case strings.Contains(ua, "baiduboxapp"):
		return AppBaidu, versionAfter(ua, "baiduboxapp/"), "baiduboxapp token"
	case strings.Contains(ua, "UCBrowser") || strings.HasPrefix(ua, "UCWEB"):
		return AppUC, versionAfter(ua, "UCBrowser/"), "UCBrowser token or UCWEB prefix"
	}
	return AppBrowser, "", "no in-app token: a browser (engine, OS and device from the UA)"
}

// lowerTokens restores the canonical case of the tokens detectApp and
// hasMobileToken look for, in a UA that has no upper-case letter at all.
// Immutable; safe for concurrent use.
var lowerTokens = strings.NewReplacer(
	"micromessenger", "MicroMessenger", "miniprogram", "miniProgram",
	"windowswechat", "WindowsWechat", "macwechat", "MacWechat",
	"aliapp(dingtalk/", "AliApp(DingTalk/", "aliapp(tb", "AliApp(TB",
	"aliapp(tm", "AliApp(TM", "aliapp(ap", "AliApp(AP",
	"alipayclient", "AlipayClient", "qqbrowser/", "QQBrowser/", "qq/", "QQ/",
	"weibo", "Weibo", "bytedancewebview", "BytedanceWebview",
	"dingtalk", "DingTalk", "ucbrowser", "UCBrowser", "ucweb", "UCWEB",
	"android", "Android", "iphone", "iPhone", "ipad", "iPad",
	"mobile", "Mobile", "harmony", "Harmony", "miniprogramenv/", "MiniProgramEnv/",
)

// hasMobileToken reports a mobile platform token, which desktop WeChat
// (Windows, and macOS whose UA also says WindowsWechat) never sends.
func hasMobileToken(ua string) bool {
	return strings.Contains(ua, "Android") || strings.Contains(ua, "iPhone") ||
		strings.Contains(ua, "iPad") || strings.Contains(ua, "Mobile") ||
		strings.Contains(ua, "Harmony")
}

// desktopWeChatVersion is the real WeChat version of the desktop app: Mac
// says MacWechat/3.8.7; Windows only says WindowsWechat(0x63090a13), WeChat's
// packed version (low nibble of the first byte = major, then minor, patch,
// build: 3.9.10). The MicroMessenger/ token there is a fixed compatibility
// value, used only as a last resort.
func desktopWeChatVersion(ua string) string {
	if v := versionAfter(ua, "MacWechat/"); v != "" {
		return v
	}
	const tok = "WindowsWechat(0x"
	if i := strings.Index(ua, tok); i >= 0 && i+len(tok)+8 <= len(ua) {
		if n, err := strconv.ParseUint(ua[i+len(tok):i+len(tok)+8], 16, 32); err == nil {
			return strconv.Itoa(int(n>>24&0x0f)) + "." + strconv.Itoa(int(n>>16&0xff)) + "." + strconv.Itoa(int(n>>8&0xff))
		}
	}
	return versionAfter(ua, "MicroMessenger/")
}

// douyinVersion: app_version/23.4.0 (Android), aweme_27.4.0 (iOS) or
// trill_34.9.0 (TikTok's build); aweme_230400 without dots is a build code.
func douyinVersion(ua string) string {
	if v := versionAfter(ua, "app_version/"); v != "" {
		return v
	}
	for _, tok := range []string{"aweme_", "trill_"} {
		if v := versionAfter(ua, tok); strings.Contains(v, ".") {
			return v
		}
	}
	return ""
}

// browserName is the parser's browser family, unless it gave up and echoed
// the whole UA (it does for unknown strings) or fell back to "mozilla" (it
// does for lower-cased UAs).
func browserName(p useragent.UserAgent) string {
	n := p.Name
	if n == "" || n == p.String || len(n) > 32 || strings.EqualFold(n, "mozilla") {
		return ""
	}
	return n
}

// tokenValue returns the value of a "Key/value" token: the bytes after key up
// to a space, ';', ')' or '(' (at most 32 bytes), or "".
func tokenValue(ua, key string) string {
	i := strings.Index(ua, key)
	if i < 0 {
		return ""
	}
	v := ua[i+len(key):]
	end := 0
	for end < len(v) && end < 32 {
		switch v[end] {
		case ' ', ';', ')', '(', ',', '\t':
			return v[:end]
		}
		end++
	}
	if end < len(v) {
		return "" // longer than any real value: not a token
	}
	return v
}
