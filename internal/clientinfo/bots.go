package clientinfo

import (
	"strings"

	"github.com/mileusna/useragent"
)

// botRule names a bot by a lower-case substring of its User-Agent.
type botRule struct{ pattern, name string }

// namedBots are checked when the lower-cased UA contains "bot". Read-only.
var namedBots = [...]botRule{
	{"googlebot", "Googlebot"},
	{"bingbot", "bingbot"},
	{"twitterbot", "Twitterbot"},
	{"slackbot", "Slackbot"},
	{"telegrambot", "TelegramBot"},
	{"discordbot", "Discordbot"},
	{"linkedinbot", "LinkedInBot"},
	{"pinterestbot", "Pinterestbot"},
	{"redditbot", "redditbot"},
	{"applebot", "Applebot"},
	{"yandexbot", "YandexBot"},
	{"duckduckbot", "DuckDuckBot"},
	{"petalbot", "PetalBot"},
	{"dingtalkbot", "DingTalkBot"},
	{"facebot", "Facebot"},
	{"adsbot-google", "AdsBot-Google"},
	{"amazonbot", "Amazonbot"},
	{"gptbot", "GPTBot"},
	{"claudebot", "ClaudeBot"},
	{"ccbot", "CCBot"},
	{"ahrefsbot", "AhrefsBot"},
	{"semrushbot", "SemrushBot"},
	{"mj12bot", "MJ12bot"},
	{"msnbot", "msnbot"},
}

// botGroup holds rules that all contain gate, so a human UA, which contains
// none of the gates, costs one search per group instead of one per rule. A
// group with an empty gate checks every rule.
type botGroup struct {
	gate  string
	rules []botRule
}

// otherBots do not say "bot": preview fetchers, crawlers, headless browsers.
// Read-only.
var otherBots = [...]botGroup{
	{"facebook", []botRule{
		{"facebookexternalhit", "facebookexternalhit"},
		{"facebookcatalog", "facebookcatalog"},
	}},
	{"preview", []botRule{
		{"skypeuripreview", "SkypeUriPreview"},
		{"bingpreview", "BingPreview"},
		{"link preview", "link preview"},
	}},
	{"spider", []botRule{
		{"baiduspider", "Baiduspider"},
		{"bytespider", "Bytespider"},
		{"360spider", "360Spider"},
		{"yisouspider", "YisouSpider"},
		{"sogou web spider", "Sogou web spider"},
	}},
	{"google", []botRule{
		{"mediapartners-google", "Mediapartners-Google"},
		{"feedfetcher-google", "FeedFetcher-Google"},
		{"google-inspectiontool", "Google-InspectionTool"},
		{"googleother", "GoogleOther"},
		{"google-read-aloud", "Google-Read-Aloud"},
	}},
	{"", []botRule{
		{"meta-external", "meta-externalagent"},
		{"slack-imgproxy", "Slackbot"},
		{"headlesschrome", "HeadlessChrome"},
		{"lighthouse", "Lighthouse"},
		{"phantomjs", "PhantomJS"},
		{"embedly", "Embedly"},
		{"iframely", "Iframely"},
		{"vkshare", "vkShare"},
		{"slurp", "Yahoo! Slurp"},
		{"kakaotalk-scrap", "kakaotalk-scrap"},
	}},
}

// httpTools are libraries and command-line clients; they are only looked for
// in UAs that do not start with "Mozilla/". Read-only.
var httpTools = [...]botRule{
	{"curl/", "curl"},
	{"wget/", "Wget"},
	{"python-requests", "python-requests"},
	{"python-urllib", "Python-urllib"},
	{"python-httpx", "python-httpx"},
	{"aiohttp", "aiohttp"},
	{"go-http-client", "Go-http-client"},
	{"okhttp", "okhttp"},
	{"java/", "Java"},
	{"apache-httpclient", "Apache-HttpClient"},
	{"libwww-perl", "libwww-perl"},
	{"httpie", "HTTPie"},
	{"axios/", "axios"},
	{"node-fetch", "node-fetch"},
	{"undici", "undici"},
	{"scrapy", "Scrapy"},
	{"postmanruntime", "PostmanRuntime"},
	{"guzzlehttp", "GuzzleHttp"},
	{"reqwest", "reqwest"},
	{"libcurl", "curl"},
}

// detectBot returns the bot's name, or "" for a human client. It runs before
// the in-app layer (DingTalk's link-preview bot says DingTalk).
func detectBot(ua, lower string, p useragent.UserAgent, parsed bool) string {
	if strings.TrimSpace(ua) == "" {
		// Browsers always send a User-Agent; an empty one is a script.
		return "empty"
	}
	// WhatsApp's preview fetcher is "WhatsApp/2.23.20.0 A"; its in-app
	// browser only appends a bare WhatsApp token to a browser UA.
	if strings.HasPrefix(lower, "whatsapp/") {
		return "WhatsApp"
	}
	// Several names may appear ("TelegramBot (like TwitterBot)", Apple's
	// "facebookexternalhit/1.1 Facebot Twitterbot/1.0"): the first one wins.
	name, at := "", len(lower)
	hasBot := strings.Contains(lower, "bot")
	if hasBot {
		for _, r := range namedBots {
			if i := strings.Index(lower, r.pattern); i >= 0 && i < at {
				name, at = r.name, i
			}
		}
	}
	spider := strings.Index(lower, "spider")
	for _, g := range otherBots {
		if g.gate == "spider" && spider < 0 || g.gate != "" && g.gate != "spider" && !strings.Contains(lower, g.gate) {
			continue
		}
		for _, r := range g.rules {
			if i := strings.Index(lower, r.pattern); i >= 0 && i < at {
				name, at = r.name, i
			}
		}
	}
	if name != "" {
		return name
	}
	if hasBot {
		if name := genericBot(ua, lower); name != "" {
			return name
		}
	}
	if spider >= 0 {
		return wordAround(ua, spider, spider+len("spider"))
	}
	if i := strings.Index(lower, "crawl"); i >= 0 {
		return wordAround(ua, i, i+len("crawl"))
	}
	if !strings.HasPrefix(ua, "Mozilla/") {
		for _, r := range httpTools {
			if strings.Contains(lower, r.pattern) {
				return r.name
			}
		}
	}
	if parsed && p.Bot {
		// The parser flags Googlebot-like tokens and any UA carrying a URL
		// ("+http://…"), which browsers never do.
		if n := browserName(p); n != "" {
			return n
		}
		return "bot"
	}
	return ""
}

// genericBot finds a "…bot" word ("FooBot/1.0", "compatible; xbot;") that
// is not a phone brand (Cubot). It returns the word, or "".
func genericBot(ua, lower string) string {
	for off := 0; ; {
		k := strings.Index(lower[off:], "bot")
		if k < 0 {
			return ""
		}
		i := off + k
		off = i + 3
		if i == 0 || lower[i-1] < 'a' || lower[i-1] > 'z' {
			continue // "bot" must end a longer word: FooBot, Robot
		}
		if i >= 2 && lower[i-2:i] == "cu" {
			continue // Cubot phones
		}
		if off < len(lower) {
			switch lower[off] {
			case '/', ';', ')', '-', '+', ' ', ',':
			default:
				continue
			}
		}
		return wordAround(ua, i, off)
	}
}
