// Package clientinfo tells who tapped a link: the app whose browser opened it
// (WeChat, its mini-program web-view, WeCom, Taobao, Alipay, …), the OS and
// device, whether it is a link-preview bot, and the WeChat share scene.
//
// A [Detector] turns a User-Agent into a [Client]; it is built on
// github.com/mileusna/useragent for OS, device, browser and bots, adds
// hutong's in-app layer on top (the order is the one in ROUTING.md) and caches
// classifications by User-Agent. [ParseScene] reads WeChat's share scene from
// the request query. Everything here is pure: no I/O, no globals.
package clientinfo

// App is the client application whose browser made the request. Values are
// fixed by the `hutong ua` contract in DESIGN.md.
type App string

// Apps.
const (
	AppWeChat            App = "wechat"
	AppWeChatMiniProgram App = "wechat-miniprogram"
	AppWeCom             App = "wecom"
	AppWeChatDesktop     App = "wechat-desktop"
	AppTaobao            App = "taobao"
	AppTmall             App = "tmall"
	AppAlipay            App = "alipay"
	AppDingTalk          App = "dingtalk"
	AppQQ                App = "qq"
	AppQQBrowser         App = "qq-browser"
	AppWeibo             App = "weibo"
	AppDouyin            App = "douyin"
	AppUC                App = "uc"
	AppBaidu             App = "baidu"
	AppBrowser           App = "browser"
	AppBot               App = "bot"
)

// OS is the operating system.
type OS string

// Operating systems.
const (
	OSiOS       OS = "ios"
	OSAndroid   OS = "android"
	OSHarmonyOS OS = "harmonyos"
	OSWindows   OS = "windows"
	OSMacOS     OS = "macos"
	OSLinux     OS = "linux"
	OSOther     OS = "other"
)

// Device is the form factor.
type Device string

// Devices.
const (
	DeviceMobile  Device = "mobile"
	DeviceTablet  Device = "tablet"
	DeviceDesktop Device = "desktop"
	DeviceBot     Device = "bot"
)

// Scene is where inside WeChat a link was shared, from WeChat's `from=`
// parameter (or the client itself for the mini-program web-view).
type Scene string

// Scenes. SceneNone when unknown.
const (
	SceneNone        Scene = ""
	SceneChat        Scene = "chat"        // from=singlemessage
	SceneGroup       Scene = "group"       // from=groupmessage
	SceneMoments     Scene = "moments"     // from=timeline
	SceneMiniProgram Scene = "miniprogram" // the mini-program web-view
)

// Client is what hutong knows about who tapped a link. JSON field names are
// part of the `hutong ua` contract.
//
// A Client returned by [Detector.Detect] never aliases the caller's memory:
// UA and every string field derived from it point into a private copy, so a
// Client may be kept, cached or sent to another goroutine. The zero Client is
// not [Client.Valid] (its App, OS and Device are empty).
type Client struct {
	// UA is the User-Agent that was classified (at most MaxUALength bytes).
	UA string `json:"ua"`
	// App is the in-app browser's app, AppBrowser for a plain browser or
	// AppBot for a link-preview bot, crawler or HTTP tool.
	App App `json:"app"`
	// AppVersion is major.minor.patch (at most three numeric components)
	// of the app named by App when the UA carries it; empty otherwise.
	AppVersion string `json:"app_version,omitempty"`
	// OS and OSVersion; OSOther when unknown.
	OS        OS     `json:"os"`
	OSVersion string `json:"os_version,omitempty"`
	// Device is DeviceBot exactly when Bot is true.
	Device Device `json:"device"`
	// Bot is true exactly when App is AppBot; BotName names it
	// ("Googlebot", "WhatsApp", "curl", …).
	Bot     bool   `json:"bot"`
	BotName string `json:"bot_name,omitempty"`
	// Browser is the underlying browser family from the UA parser
	// (Chrome, Safari, …), useful for Android Chrome intent handling.
	// Set only for AppBrowser.
	Browser string `json:"browser,omitempty"`
	// Network and Language are WeChat's NetType/… and Language/… UA tokens
	// ("WIFI", "zh_CN"); also read from other apps that send them (QQ,
	// Douyin, Alipay, WeCom).
	Network  string `json:"network,omitempty"`
	Language string `json:"language,omitempty"`
	// UnknownShell is true for an in-app web-view of an app hutong does not
	// recognise (an Android "; wv)" web-view or an iOS WKWebView without
	// Safari/): App is then AppBrowser, with the OS and device the UA states
	// (the safe class). Operators count these (hutong_client_unknown_total)
	// to see new shells appear.
	UnknownShell bool `json:"unknown_shell,omitempty"`
	// Scene and AppInstalled come from the request query, not the UA:
	// [Detector.Detect] leaves them empty, [ParseScene] fills them.
	Scene        Scene `json:"scene,omitempty"`
	AppInstalled *bool `json:"app_installed,omitempty"`
}

// WeChatFamily reports whether the client is any WeChat flavour whose taps
// should pay with WeChat Pay (in-app, mini program, WeCom, desktop).
func (c Client) WeChatFamily() bool {
	switch c.App {
	case AppWeChat, AppWeChatMiniProgram, AppWeCom, AppWeChatDesktop:
		return true
	}
	return false
}

// Valid reports whether c holds only values of the `hutong ua` contract: a
// known App, OS, Device and Scene, with Bot, App == AppBot and
// Device == DeviceBot all agreeing. Every Client returned by
// [Detector.Detect] is valid.
func (c Client) Valid() bool {
	switch c.App {
	case AppWeChat, AppWeChatMiniProgram, AppWeCom, AppWeChatDesktop,
		AppTaobao, AppTmall, AppAlipay, AppDingTalk, AppQQ, AppQQBrowser,
		AppWeibo, AppDouyin, AppUC, AppBaidu, AppBrowser, AppBot:
	default:
		return false
	}
	switch c.OS {
	case OSiOS, OSAndroid, OSHarmonyOS, OSWindows, OSMacOS, OSLinux, OSOther:
	default:
		return false
	}
	switch c.Device {
	case DeviceMobile, DeviceTablet, DeviceDesktop, DeviceBot:
	default:
		return false
	}
	switch c.Scene {
	case SceneNone, SceneChat, SceneGroup, SceneMoments, SceneMiniProgram:
	default:
		return false
	}
	return c.Bot == (c.App == AppBot) && c.Bot == (c.Device == DeviceBot)
}
