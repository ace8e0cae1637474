// Package clientinfo tells who tapped a link: the app whose browser opened it
// (WeChat, its mini-program web-view, WeCom, Taobao, Alipay, …), the OS and
// device, whether it is a link-preview bot, and the WeChat share scene.
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
type Client struct {
	UA         string `json:"ua,omitempty"`
	App        App    `json:"app"`
	AppVersion string `json:"app_version,omitempty"`
	OS         OS     `json:"os"`
	OSVersion  string `json:"os_version,omitempty"`
	Device     Device `json:"device"`
	Bot        bool   `json:"bot"`
	BotName    string `json:"bot_name,omitempty"`
	// Browser is the underlying browser family from the UA parser
	// (Chrome, Safari, …), useful for Android Chrome intent handling.
	Browser string `json:"browser,omitempty"`
	// Network and Language are WeChat's NetType/… and Language/… UA tokens.
	Network  string `json:"network,omitempty"`
	Language string `json:"language,omitempty"`
	// Scene and AppInstalled come from the request query, not the UA.
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
