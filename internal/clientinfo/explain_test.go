package clientinfo

import (
	"strings"
	"testing"
)

// Real UAs from the corpus (sources there).
const (
	shellUA   = "Mozilla/5.0 (Linux; Android 10; SM-T865 Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/86.0.4240.110 Safari/537.36"
	edgeWvUA  = "Mozilla/5.0 (Android 12; HarmonyOS 4.0.0.118; OXF-AN00 Build/HUAWEIOXF-AN00; HMSCore 6.13.0.302; wv) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36 EdgA/125.0.0.0 Language/zh_TW ABI/arm64-v8a"
	wmpfMacUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/98.0.4758.102 Safari/537.36 MicroMessenger/6.8.0(0x16080000) NetType/WIFI MiniProgramEnv/Mac MacWechat/WMPF XWEB/30817"
)

func TestUnknownShell(t *testing.T) {
	d := NewDetector(Config{})
	for _, c := range []struct {
		name string
		ua   string
		want bool
	}{
		{"android web-view of an unknown app", shellUA, true},
		{"named browser with a wv token", edgeWvUA, false},
		{"known in-app shell", wmpfMacUA, false},
		{"plain iOS Safari", "Mozilla/5.0 (iPhone; CPU iPhone OS 15_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.0 MQQBrowser/12.9.7 Mobile/15E148 Safari/604.1 QBWebViewUA/2 QBWebViewType/1 WKType/1", false},
	} {
		got := d.Detect(c.ua)
		if got.UnknownShell != c.want {
			t.Errorf("%s: UnknownShell = %v; want %v (%+v)", c.name, got.UnknownShell, c.want, got)
		}
		if c.want && (got.App != AppBrowser || got.OS != OSAndroid || got.Device != DeviceTablet) {
			t.Errorf("%s: got %s/%s/%s; want the safe class browser/android/tablet", c.name, got.App, got.OS, got.Device)
		}
	}
}

func TestExplain(t *testing.T) {
	e := Explain(wmpfMacUA)
	if e.Client != NewDetector(Config{CacheSize: -1}).Detect(wmpfMacUA) {
		t.Errorf("Explain client %+v differs from Detect", e.Client)
	}
	if !strings.Contains(e.App, "MiniProgramEnv/") || !strings.Contains(e.OS, "macos") || e.Device == "" {
		t.Errorf("Explain(WMPF mac) = %+v; want the mini-program rule, the OS and a device reason", e)
	}
	if e := Explain(shellUA); !strings.Contains(e.Shell, "hutong_client_unknown_total") || !strings.Contains(e.Device, "Android") {
		t.Errorf("Explain(shell) = %+v; want the shell policy and the Android device rule", e)
	}
	if e := Explain("WhatsApp/2.11.112 Android/4.2.1 Device/asus-ASUS_Transformer_Pad_TF300TG"); e.Bot == "" || e.App != "" || e.Client.OS != OSAndroid {
		t.Errorf("Explain(WhatsApp fetcher) = %+v; want a bot rule, no app rule, the stated OS", e)
	}
}
