package clientinfo

import (
	"strings"
	"sync"
	"testing"
	"unsafe"
)

// detectCase is a UA hutong must classify; empty want fields are not checked
// except App, OS and Device.
type detectCase struct {
	name       string
	ua         string
	app        App
	os         OS
	device     Device
	appVersion string // checked when set
	osVersion  string // checked when set
	botName    string // checked when set
	browser    string // checked when set
}

// ownCases cover every family ROUTING.md names that the corpus lacks, and the
// parser fixes hutong makes. UAs are real-world shapes.
var ownCases = []detectCase{
	// WeChat family.
	{name: "wechat/ipad", ua: "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2a) NetType/WIFI Language/zh_CN",
		app: AppWeChat, os: OSiOS, device: DeviceTablet, appVersion: "8.0.44", osVersion: "17.1"},
	{name: "wechat-desktop/macos", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) MicroMessenger/6.8.0(0x16080000) MacWechat/3.8.7(0x13080710) Safari/605.1.15 NetType/WIFI WindowsWechat",
		app: AppWeChatDesktop, os: OSMacOS, device: DeviceDesktop, appVersion: "3.8.7"},
	{name: "wechat-desktop/windows-3.9", ua: "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63090a13) XWEB/9129 Flue",
		app: AppWeChatDesktop, os: OSWindows, device: DeviceDesktop, appVersion: "3.9.10"},
	{name: "wechat/harmonyos-next", ua: "Mozilla/5.0 (Phone; OpenHarmony 5.0; HarmonyOS 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Mobile Safari/537.36 ArkWeb/4.1.6.1 MicroMessenger/8.0.1.33(0xf2000121) NetType/WIFI Language/zh_CN",
		app: AppWeChat, os: OSHarmonyOS, device: DeviceMobile, appVersion: "8.0.1", osVersion: "5.0"},
	{name: "wechat/harmonyos-4", ua: "Mozilla/5.0 (Linux; Android 12; HarmonyOS; ALN-AL10; HMSCore 6.13.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.5735.196 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20240404 MMWEBID/3950 MicroMessenger/8.0.49.2600(0x28003133) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
		app: AppWeChat, os: OSHarmonyOS, device: DeviceMobile, appVersion: "8.0.49"},
	{name: "wechat/huawei-wifi-tablet", ua: "Mozilla/5.0 (Linux; Android 12; DBY-W09 Build/HUAWEIDBY-W09; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/5197 MMWEBSDK/20230805 MMWEBID/1234 MicroMessenger/8.0.40.2420(0x28002837) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
		app: AppWeChat, os: OSAndroid, device: DeviceTablet, appVersion: "8.0.40"},
	{name: "wecom/ios", ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.10 MicroMessenger/7.0.1 Language/zh ColorScheme/Light",
		app: AppWeCom, os: OSiOS, device: DeviceMobile, appVersion: "4.1.10", osVersion: "16.6"},
	{name: "wechat-miniprogram/android-wecom-order", ua: "Mozilla/5.0 (Linux; Android 13; V2217A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5061 MMWEBSDK/20230405 MMWEBID/6169 MicroMessenger/8.0.35.2360(0x2800235D) WeChat/arm64 Weixin NetType/5G Language/zh_CN ABI/arm64 miniProgram/wx1234567890abcdef",
		app: AppWeChatMiniProgram, os: OSAndroid, device: DeviceMobile, appVersion: "8.0.35"},

	// Alibaba family.
	{name: "tmall/android", ua: "Mozilla/5.0 (Linux; U; Android 13; zh-CN; V2217A Build/TP1A.220624.014) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 UWS/3.22.2.9 Mobile Safari/537.36 AliApp(TM/15.8.0) UCBS/3.22.2.9_220926163302 TTID/tmall_android_15.8.0 WindVane/8.5.0 1080X2400",
		app: AppTmall, os: OSAndroid, device: DeviceMobile, appVersion: "15.8.0", osVersion: "13"},
	{name: "taobao/android-new", ua: "Mozilla/5.0 (Linux; U; Android 14; zh-CN; PJZ110 Build/UKQ1.230924.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 UWS/3.22.2.59 Mobile Safari/537.36 AliApp(TB/10.32.10) UCBS/2.11.1.1 TTID/600000@taobao_android_10.32.10 WindVane/8.5.0 1080X2412 UT4Aplus/0.2.29",
		app: AppTaobao, os: OSAndroid, device: DeviceMobile, appVersion: "10.32.10"},
	{name: "alipay/ios-aliapp-ap-only", ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/20A362 Nebula PSDType(1) AliApp(AP/10.3.0.6000) Language/zh-Hans",
		app: AppAlipay, os: OSiOS, device: DeviceMobile, appVersion: "10.3.0"},
	{name: "dingtalk/ios", ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 16_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 AliApp(DingTalk/7.0.25) com.laiwang.DingTalk/29073735 Channel/201200 language/zh-Hans-CN UT4Aplus/0.0.6 WK",
		app: AppDingTalk, os: OSiOS, device: DeviceMobile, appVersion: "7.0.25"},

	// Other in-app browsers.
	{name: "qq/ios", ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 QQ/8.9.78.636 V1_IPH_SQ_8.9.78_1_APP_A Pixel/1170 MiniAppEnable SimpleUISwitch/0 StudyMode/0 CurrentMode/0 CurrentFontScale/1.000000 QQTheme/1000 Core/WKWebView Device/Apple(iPhone 12) NetType/4G QBWebViewType/1 WKType/1",
		app: AppQQ, os: OSiOS, device: DeviceMobile, appVersion: "8.9.78"},
	{name: "qq-browser/ios", ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.0 MQQBrowser/12.1.0 Mobile/15E148 Safari/604.1 QBWebViewUA/2 QBWebViewType/1 WKType/1",
		app: AppQQBrowser, os: OSiOS, device: DeviceMobile, appVersion: "12.1.0"},
	{name: "qq-browser/windows", ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.71 Safari/537.36 Core/1.94.186.400 QQBrowser/11.0.5130.400",
		app: AppQQBrowser, os: OSWindows, device: DeviceDesktop, appVersion: "11.0.5130"},
	{name: "weibo/ios", ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 15_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Weibo (iPhone13,2__weibo__12.4.1__iphone__os15.4)",
		app: AppWeibo, os: OSiOS, device: DeviceMobile, appVersion: "12.4.1", osVersion: "15.4"},
	{name: "douyin/ios-bytedancewebview", ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 BytedanceWebview/d8a21c6 aweme_26.1.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/zh Region/CN AppTheme/light RevealType/Dialog WKWebView/1 Bullet/1",
		app: AppDouyin, os: OSiOS, device: DeviceMobile, appVersion: "26.1.0"},
	{name: "baidu/ios", ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 16_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 SP-engine/2.62.0 main/1.0 baiduboxapp/13.22.0.10 (Baidu; P2 16.1) NABar/1.0 themeUA=Theme/default",
		app: AppBaidu, os: OSiOS, device: DeviceMobile, appVersion: "13.22.0"},
	{name: "uc/ios", ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X; zh-CN) AppleWebKit/537.51.1 (KHTML, like Gecko) Mobile/20A362 UCBrowser/15.1.8.1800 Mobile AliApp(TUnionSDK/0.1.20.4)",
		app: AppUC, os: OSiOS, device: DeviceMobile, appVersion: "15.1.8"},
	{name: "browser/ios-whatsapp-in-app", ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 WhatsApp",
		app: AppBrowser, os: OSiOS, device: DeviceMobile},

	// Link-preview bots, crawlers, tools.
	{name: "bot/twitterbot", ua: "Twitterbot/1.0", app: AppBot, os: OSOther, device: DeviceBot, botName: "Twitterbot"},
	{name: "bot/slackbot", ua: "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", app: AppBot, os: OSOther, device: DeviceBot, botName: "Slackbot"},
	{name: "bot/slack-imgproxy", ua: "Slack-ImgProxy (+https://api.slack.com/robots)", app: AppBot, os: OSOther, device: DeviceBot, botName: "Slackbot"},
	{name: "bot/telegrambot", ua: "TelegramBot (like TwitterBot)", app: AppBot, os: OSOther, device: DeviceBot, botName: "TelegramBot"},
	{name: "bot/whatsapp-android", ua: "WhatsApp/2.23.20.0 A", app: AppBot, os: OSOther, device: DeviceBot, botName: "WhatsApp"},
	{name: "bot/whatsapp-ios", ua: "WhatsApp/2.23.18.78 i", app: AppBot, os: OSOther, device: DeviceBot, botName: "WhatsApp"},
	{name: "bot/discordbot", ua: "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", app: AppBot, os: OSOther, device: DeviceBot, botName: "Discordbot"},
	{name: "bot/linkedinbot", ua: "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", app: AppBot, os: OSOther, device: DeviceBot, botName: "LinkedInBot"},
	{name: "bot/imessage", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0", app: AppBot, os: OSMacOS, device: DeviceBot, botName: "facebookexternalhit"},
	{name: "bot/googlebot-smartphone", ua: "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", app: AppBot, os: OSAndroid, device: DeviceBot, botName: "Googlebot"},
	{name: "bot/bingbot-no-url", ua: "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0) Chrome/116.0.1938.76 Safari/537.36", app: AppBot, os: OSOther, device: DeviceBot, botName: "bingbot"},
	{name: "bot/applebot", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)", app: AppBot, os: OSMacOS, device: DeviceBot, botName: "Applebot"},
	{name: "bot/baiduspider", ua: "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", app: AppBot, os: OSOther, device: DeviceBot, botName: "Baiduspider"},
	{name: "bot/headless-chrome", ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36", app: AppBot, os: OSLinux, device: DeviceBot, botName: "HeadlessChrome"},
	{name: "bot/python-requests", ua: "python-requests/2.31.0", app: AppBot, os: OSOther, device: DeviceBot, botName: "python-requests"},
	{name: "bot/go-http-client", ua: "Go-http-client/1.1", app: AppBot, os: OSOther, device: DeviceBot, botName: "Go-http-client"},
	{name: "bot/generic-word", ua: "Mozilla/5.0 (compatible; SeznamBot/4.0; +https://o-seznam.cz/napoveda/vyhledavani/en/seznambot-crawler/)", app: AppBot, os: OSOther, device: DeviceBot, botName: "SeznamBot"},
	{name: "bot/empty", ua: "", app: AppBot, os: OSOther, device: DeviceBot, botName: "empty"},
	{name: "bot/blank", ua: "   ", app: AppBot, os: OSOther, device: DeviceBot, botName: "empty"},

	// Plain browsers.
	{name: "browser/ipad-safari", ua: "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
		app: AppBrowser, os: OSiOS, device: DeviceTablet, osVersion: "17.1", browser: "Safari"},
	{name: "browser/android-tablet-galaxy-tab", ua: "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
		app: AppBrowser, os: OSAndroid, device: DeviceTablet, browser: "Chrome"},
	{name: "browser/android-tablet-word", ua: "Mozilla/5.0 (Android 13; Tablet; rv:120.0) Gecko/120.0 Firefox/120.0",
		app: AppBrowser, os: OSAndroid, device: DeviceTablet, browser: "Firefox"},
	{name: "browser/android-phone-chrome", ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
		app: AppBrowser, os: OSAndroid, device: DeviceMobile, osVersion: "10", browser: "Chrome"},
	{name: "browser/android-fold-unfolded", ua: "Mozilla/5.0 (Linux; Android 14; SM-F946B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		app: AppBrowser, os: OSAndroid, device: DeviceMobile},
	{name: "browser/android-cubot-not-a-bot", ua: "Mozilla/5.0 (Linux; Android 11; CUBOT X50) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
		app: AppBrowser, os: OSAndroid, device: DeviceMobile},
	{name: "browser/harmonyos-tablet", ua: "Mozilla/5.0 (Tablet; OpenHarmony 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36 ArkWeb/4.1.6.1",
		app: AppBrowser, os: OSHarmonyOS, device: DeviceTablet, osVersion: "5.0"},
	{name: "browser/ipod-touch", ua: "Mozilla/5.0 (iPod touch; CPU iPhone OS 15_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1",
		app: AppBrowser, os: OSiOS, device: DeviceMobile},
	{name: "browser/windows-chrome", ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		app: AppBrowser, os: OSWindows, device: DeviceDesktop, osVersion: "10.0", browser: "Chrome"},
	{name: "browser/windows-edge", ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
		app: AppBrowser, os: OSWindows, device: DeviceDesktop, browser: "Edge"},
	{name: "browser/windows-firefox", ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
		app: AppBrowser, os: OSWindows, device: DeviceDesktop, browser: "Firefox"},
	{name: "browser/macos-safari", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
		app: AppBrowser, os: OSMacOS, device: DeviceDesktop, osVersion: "10.15.7", browser: "Safari"},
	{name: "browser/macos-firefox", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:120.0) Gecko/20100101 Firefox/120.0",
		app: AppBrowser, os: OSMacOS, device: DeviceDesktop, browser: "Firefox"},
	{name: "browser/macos-edge", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
		app: AppBrowser, os: OSMacOS, device: DeviceDesktop, browser: "Edge"},
	{name: "browser/linux-chrome", ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		app: AppBrowser, os: OSLinux, device: DeviceDesktop, browser: "Chrome"},
	{name: "browser/linux-firefox", ua: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
		app: AppBrowser, os: OSLinux, device: DeviceDesktop, browser: "Firefox"},
	{name: "browser/linux-edge", ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
		app: AppBrowser, os: OSLinux, device: DeviceDesktop, browser: "Edge"},
	{name: "browser/chromeos", ua: "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		app: AppBrowser, os: OSLinux, device: DeviceDesktop, browser: "Chrome"},
	{name: "browser/samsung-dex-linux", ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Safari/537.36",
		app: AppBrowser, os: OSLinux, device: DeviceDesktop},
	{name: "browser/unknown-token", ua: "hello world", app: AppBrowser, os: OSOther, device: DeviceDesktop},
}

func TestDetectCases(t *testing.T) {
	d := NewDetector(Config{})
	for _, tc := range ownCases {
		t.Run(tc.name, func(t *testing.T) {
			got := d.Detect(tc.ua)
			if got.App != tc.app || got.OS != tc.os || got.Device != tc.device {
				t.Errorf("Detect(%q)\n got app=%s os=%s device=%s (%+v)\nwant app=%s os=%s device=%s",
					tc.ua, got.App, got.OS, got.Device, got, tc.app, tc.os, tc.device)
			}
			if got.Bot != (tc.app == AppBot) {
				t.Errorf("Detect(%q).Bot = %v; want %v", tc.ua, got.Bot, tc.app == AppBot)
			}
			check := func(field, got, want string) {
				if want != "" && got != want {
					t.Errorf("Detect(%q).%s = %q; want %q", tc.ua, field, got, want)
				}
			}
			check("AppVersion", got.AppVersion, tc.appVersion)
			check("OSVersion", got.OSVersion, tc.osVersion)
			check("BotName", got.BotName, tc.botName)
			check("Browser", got.Browser, tc.browser)
			if !got.Valid() {
				t.Errorf("Detect(%q) = %+v: not Valid", tc.ua, got)
			}
			if got.UA != tc.ua {
				t.Errorf("Detect(%q).UA = %q", tc.ua, got.UA)
			}
		})
	}
}

// TestDetectDetails checks the fields beyond app/os/device on corpus-shaped
// UAs: app versions across families, WeChat's NetType and Language.
func TestDetectDetails(t *testing.T) {
	tests := []struct {
		name, ua                                 string
		appVersion, osVersion, network, language string
	}{
		{"wechat-android", "Mozilla/5.0 (Linux; Android 14; 23116PN5BC Build/UKQ1.230804.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 MMWEBSDK/20240404 MMWEBID/8518 MicroMessenger/8.0.49.2600(0x28003133) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
			"8.0.49", "14", "WIFI", "zh_CN"},
		{"wechat-ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.42(0x18002a2b) NetType/4G Language/en",
			"8.0.42", "17.0", "4G", "en"},
		{"wechat-old", "Mozilla/5.0 (Linux; Android 5.0.1; GT-I9502 Build/LRX22C; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/43.0.2357.121 Mobile Safari/537.36 MicroMessenger/6.1.0.78_r1129455.543 NetType/WIFI",
			"6.1.0", "5.0.1", "WIFI", ""},
		{"wechat-two-part", "Mozilla/5.0 (iPhone; CPU iPhone OS 9_3 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Mobile/13E233 MicroMessenger/6.3 NetType/cmnet Language/zh_HK",
			"6.3", "9.3", "cmnet", "zh_HK"},
		{"taobao", "Mozilla/5.0 (iPhone; CPU iPhone OS 15_7_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/19H332 AliApp(TB/10.23.20) WindVane/8.7.2 UT4Aplus/0.0.4 1242x2208 Winding(WV_1) WK",
			"10.23.20", "15.7.5", "", ""},
		{"tmall", "Mozilla/5.0 (iPhone; CPU iPhone OS 14_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 AliApp(TM/10.10.0) WindVane/8.7.2",
			"10.10.0", "14.5.1", "", ""},
		{"alipay", "Mozilla/5.0 (Linux; Android 13; 22041216C) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/103.0.5060.129 Mobile Safari/537.36 AliApp(AP/10.3.60.8000) AlipayClient/10.3.60.8000",
			"10.3.60", "13", "", ""},
		{"dingtalk-android", "Mozilla/5.0 (Linux; U; Android 12; zh-CN; NOH-AN00) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 Mobile Safari/537.36 AliApp(DingTalk/6.5.50) com.alibaba.android.rimet/26178691",
			"6.5.50", "12", "", ""},
		{"qq-android", "Mozilla/5.0 (Linux; Android 12; V2049A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/91.0.4472.114 Mobile Safari/537.36 V1_AND_SQ_8.9.10_2860_YYB_D QQ/8.9.10.9145 NetType/WIFI",
			"8.9.10", "12", "WIFI", ""},
		{"weibo-android", "Mozilla/5.0 (Linux; Android 12; BRT-W09 Build/HONORBRT-W09; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/92.0.4515.105 Mobile Safari/537.36 Weibo (HONOR-BRT-W09__weibo__15.4.2__android__android12)",
			"15.4.2", "12", "", ""},
		{"douyin-android", "Mozilla/5.0 (Linux; Android 10; HD1900 Build/QKQ1.190716.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/75.0.3770.156 Mobile Safari/537.36 aweme_230400 JsSdk/1.0 NetType/WIFI AppName/aweme app_version/23.4.0 ByteLocale/zh-CN",
			"23.4.0", "10", "WIFI", ""},
		{"uc-android", "Mozilla/5.0 (Linux; U; Android 10; zh-CN; V1981A Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 UCBrowser/13.4.0.1306 Mobile Safari/537.36",
			"13.4.0", "10", "", ""},
		{"baidu-harmonyos", "Mozilla/5.0 (Linux; Android 10; CLT-AL01 Build/HUAWEICLT-AL01; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/76.0.3809.89 Mobile Safari/537.36 T7/12.24 BDOS/1.0 (HarmonyOS 2.2.0) SP-engine/2.36.0 baiduboxapp/12.25.0.10 (Baidu; P1 10) NABar/1.0",
			"12.25.0", "2.2.0", "", ""},
		{"qq-browser", "Mozilla/5.0 (Linux; U; Android 7.0; zh-cn; M621C Build/NRD90M) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/66.0.3359.126 MQQBrowser/10.4 Mobile Safari/537.36",
			"10.4", "7.0", "", ""},
		{"wecom-windows", "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.1.12.0 Safari/537.36 Language/zh wxwork/4.1.3 (MicroMessenger/6.2) WindowsWechat  MailPlugin_Electron WeMail embeddisk",
			"4.1.3", "10.0", "", "zh"},
	}
	d := NewDetector(Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := d.Detect(tc.ua)
			if got.AppVersion != tc.appVersion || got.OSVersion != tc.osVersion ||
				got.Network != tc.network || got.Language != tc.language {
				t.Errorf("Detect(%q)\n got app_version=%q os_version=%q network=%q language=%q\nwant app_version=%q os_version=%q network=%q language=%q",
					tc.ua, got.AppVersion, got.OSVersion, got.Network, got.Language,
					tc.appVersion, tc.osVersion, tc.network, tc.language)
			}
		})
	}
}

func TestVersionAt(t *testing.T) {
	tests := []struct{ in, want string }{
		{"8.0.49.2600(0x28003133)", "8.0.49"},
		{"6.2.2.54_rec1912d.563", "6.2.2"},
		{"10.4 Mobile", "10.4"},
		{"5.2.380", "5.2.380"},
		{"7.", "7"},
		{"7.x", "7"},
		{"x7", ""},
		{"", ""},
		{"12", "12"},
		{strings.Repeat("9", 100), ""},
	}
	for _, tc := range tests {
		if got := versionAt(tc.in, 0); got != tc.want {
			t.Errorf("versionAt(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestDetectCopiesInput: the caller's buffer is reused after Detect returns
// (Fiber); neither the returned Client nor the cache may see the change.
func TestDetectCopiesInput(t *testing.T) {
	const ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.42(0x18002a2b) NetType/WIFI Language/zh_CN"
	for _, cfg := range []Config{{}, {CacheSize: -1}} {
		d := NewDetector(cfg)
		buf := []byte(ua)
		aliased := unsafe.String(&buf[0], len(buf))
		got := d.Detect(aliased)
		want := got
		want.UA = strings.Clone(got.UA)
		want.AppVersion = strings.Clone(got.AppVersion)
		want.Network = strings.Clone(got.Network)
		want.Language = strings.Clone(got.Language)
		for i := range buf {
			buf[i] = 'X'
		}
		if got != want {
			t.Errorf("cfg %+v: Client changed with the caller's buffer: %+v; want %+v", cfg, got, want)
		}
		if again := d.Detect(ua); again != want {
			t.Errorf("cfg %+v: cached Client changed with the caller's buffer: %+v; want %+v", cfg, again, want)
		}
	}
}

func TestDetectCacheBounds(t *testing.T) {
	d := NewDetector(Config{CacheSize: 100, MaxCachedUALength: 300})
	short := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.42(0x18002a2b) NetType/WIFI Language/zh_CN"
	d.Detect(short)
	if n := d.CachedLen(); n != 1 {
		t.Fatalf("CachedLen after one UA = %d; want 1", n)
	}
	long := short + " " + strings.Repeat("Padding/1.0 ", 40)
	if got := d.Detect(long); got.App != AppWeChat || got.AppVersion != "8.0.42" {
		t.Errorf("long UA: got app=%s version=%q; want wechat 8.0.42", got.App, got.AppVersion)
	}
	if n := d.CachedLen(); n != 1 {
		t.Errorf("CachedLen after a %d-byte UA = %d; want 1 (not cached)", len(long), n)
	}
	huge := short + strings.Repeat("\xff\x00", 32<<10)
	got := d.Detect(huge)
	if len(got.UA) != MaxUALength || got.App != AppWeChat || !got.Valid() {
		t.Errorf("64 KiB UA: len(UA)=%d app=%s valid=%v; want %d, wechat, true", len(got.UA), got.App, got.Valid(), MaxUALength)
	}
	for i := range 1000 {
		d.Detect(short + strings.Repeat(" ", i%50) + string(rune('a'+i%26)) + strings.Repeat("x", i/26))
	}
	d.cache.CleanUp()
	if n := d.CachedLen(); n > 100 {
		t.Errorf("CachedLen = %d; want <= CacheSize 100", n)
	}
}

func TestDetectWithoutCache(t *testing.T) {
	const ua = "Mozilla/5.0 (Linux; Android 13; PGT-AN10) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 Mobile Safari/537.36 wxwork/4.1.6 MicroMessenger/7.0.1"
	var zero Detector
	var nilDetector *Detector
	for name, d := range map[string]*Detector{"zero": &zero, "nil": nilDetector, "disabled": NewDetector(Config{CacheSize: -1})} {
		if got := d.Detect(ua); got.App != AppWeCom || !got.Valid() {
			t.Errorf("%s detector: app=%s valid=%v; want wecom, true", name, got.App, got.Valid())
		}
		if n := d.CachedLen(); n != 0 {
			t.Errorf("%s detector: CachedLen = %d; want 0", name, n)
		}
	}
}

// TestDetectCachedEqualsUncached: the cache never changes an answer.
func TestDetectCachedEqualsUncached(t *testing.T) {
	cached, uncached := NewDetector(Config{}), NewDetector(Config{CacheSize: -1})
	for _, c := range loadCorpus(t) {
		first, second, plain := cached.Detect(c.UA), cached.Detect(c.UA), uncached.Detect(c.UA)
		if first != plain || second != plain {
			t.Errorf("Detect(%q): cold %+v, warm %+v, uncached %+v differ", c.UA, first, second, plain)
		}
	}
}

func TestDetectConcurrent(t *testing.T) {
	uas := corpusUAs(t)
	want := make([]Client, len(uas))
	plain := NewDetector(Config{CacheSize: -1})
	for i, ua := range uas {
		want[i] = plain.Detect(ua)
	}
	d := NewDetector(Config{CacheSize: 16}) // small: evictions while reading
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 200 {
				i := (g*31 + n) % len(uas)
				if got := d.Detect(uas[i]); got != want[i] {
					t.Errorf("concurrent Detect(%q) = %+v; want %+v", uas[i], got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestDetectWarmAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count under -short")
	}
	d := NewDetector(Config{})
	uas := corpusUAs(t)
	for _, ua := range uas {
		d.Detect(ua)
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		sink = d.Detect(uas[i%len(uas)])
		i++
	})
	if allocs != 0 {
		t.Errorf("warm Detect: %v allocs/op; want 0", allocs)
	}
}

func TestASCIILower(t *testing.T) {
	for _, s := range []string{"", "abc", "ABC", "MicroMessenger/8.0 NetType/WIFI", "\xffÄB\x00Z", "aB"} {
		want := []byte(s)
		for i, c := range want {
			if 'A' <= c && c <= 'Z' {
				want[i] = c + 32
			}
		}
		if got := asciiLower(s); got != string(want) {
			t.Errorf("asciiLower(%q) = %q; want %q", s, got, want)
		}
	}
}
