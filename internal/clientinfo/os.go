package clientinfo

import (
	"strings"

	"github.com/mileusna/useragent"
)

// detectOS maps the parser's OS onto hutong's, with hutong's fixes:
// HarmonyOS first (the parser calls HarmonyOS 2–4 "Android" and knows only
// "OpenHarmony"), and a case-insensitive fallback when the parser found no OS
// or an OS the UA does not name.
func detectOS(ua, lower string, p useragent.UserAgent) (OS, string) {
	if strings.Contains(lower, "harmonyos") || strings.Contains(lower, "openharmony") ||
		strings.Contains(lower, "arkweb") {
		if v := versionAfterSpaceFold(ua, lower, "harmonyos"); v != "" {
			return OSHarmonyOS, v
		}
		return OSHarmonyOS, versionAfterSpaceFold(ua, lower, "openharmony")
	}
	switch p.OS {
	case useragent.Android:
		// The parser forces Android for any SamsungBrowser UA, even Samsung
		// Internet on Linux/Windows (DeX): believe it only if the UA says so.
		if strings.Contains(lower, "android") {
			return OSAndroid, p.OSVersion
		}
	case useragent.IOS:
		return OSiOS, p.OSVersion
	case useragent.Windows:
		return OSWindows, p.OSVersion
	case useragent.MacOS:
		return OSMacOS, p.OSVersion
	case useragent.Linux, useragent.ChromeOS:
		// UC's old UCWEB shell writes Android as "Adr 4.2.2" after "Linux".
		if strings.Contains(lower, "; adr ") {
			return OSAndroid, versionAfterSpaceFold(ua, lower, "; adr ")
		}
		// ChromeOS is a Linux desktop for routing purposes.
		return OSLinux, ""
	case useragent.WindowsPhone, useragent.FreeBSD, useragent.BlackBerry:
		return OSOther, p.OSVersion
	}
	return fallbackOS(ua, lower)
}

// fallbackOS reads the OS from the lower-cased UA when the parser, which
// matches exact, case-sensitive tokens, found none: lower-cased UAs
// ("mozilla/5.0 (linux; u; android 11; …"), UC's "Adr 7.1.2", iPod touch,
// Applebot (the parser clears its OS), command-line tools built for Linux
// ("i386-redhat-linux-gnu", "Red Hat modified").
func fallbackOS(ua, lower string) (OS, string) {
	switch {
	case strings.Contains(lower, "android"):
		return OSAndroid, versionAfterSpaceFold(ua, lower, "android")
	case strings.Contains(lower, "adr "):
		return OSAndroid, versionAfterSpaceFold(ua, lower, "adr ")
	case strings.Contains(lower, "iphone") || strings.Contains(lower, "ipad") ||
		strings.Contains(lower, "ipod"):
		return OSiOS, ""
	case strings.Contains(lower, "windows phone") || strings.Contains(lower, "windows_phone") ||
		strings.Contains(lower, " wp7/") || strings.Contains(lower, " wp8/"):
		// Windows Phone (also WhatsApp's "WP7/8.0" fetcher) is not desktop Windows.
		return OSOther, ""
	case strings.Contains(lower, "macintosh") || strings.Contains(lower, "mac os x"):
		// Before Windows: desktop WeChat on macOS also says WindowsWechat.
		return OSMacOS, ""
	case strings.Contains(lower, "windows"):
		return OSWindows, versionAfterSpaceFold(ua, lower, "windows nt")
	case strings.Contains(lower, "linux") || strings.Contains(lower, "x11") ||
		strings.Contains(lower, "cros ") || strings.Contains(lower, "ubuntu") ||
		strings.Contains(lower, "red hat") || strings.Contains(lower, "redhat") ||
		strings.Contains(lower, "debian") || strings.Contains(lower, "fedora") ||
		strings.Contains(lower, "centos"):
		return OSLinux, ""
	}
	return OSOther, ""
}

// versionAfterSpaceFold finds marker (lower case) in lower and reads the
// version from ua at the same place, so the result is a substring of ua.
func versionAfterSpaceFold(ua, lower, marker string) string {
	i := strings.Index(lower, marker)
	if i < 0 {
		return ""
	}
	i += len(marker)
	for i < len(ua) && ua[i] == ' ' {
		i++
	}
	return versionAt(ua, i)
}

// detectDevice decides mobile/tablet/desktop for a human client.
func detectDevice(ua, lower string, os OS, p useragent.UserAgent) (Device, string) {
	if lower == ua && ua != "" {
		// Logged in lower case: model codes (SM-T…, BRT-W09) are matched in
		// capitals, so read them from an upper-cased copy.
		ua = strings.ToUpper(ua)
	}
	switch os {
	case OSiOS:
		if p.Tablet || strings.Contains(lower, "ipad") {
			return DeviceTablet, "iOS with iPad"
		}
		return DeviceMobile, "iOS without iPad"
	case OSAndroid:
		return androidDevice(ua, lower, p), "Android: tablet word or model family, or a browser UA without Mobile, is a tablet; else mobile"
	case OSHarmonyOS:
		// Pure HarmonyOS names the form factor first: (Phone; …), (Tablet; …),
		// (PC; …). HarmonyOS 2–4 UAs are Android UAs.
		switch {
		case strings.Contains(lower, "(pc;"):
			return DeviceDesktop, "HarmonyOS (PC; …)"
		case strings.Contains(lower, "(tablet;"):
			return DeviceTablet, "HarmonyOS (Tablet; …)"
		case strings.Contains(lower, "(phone;"):
			return DeviceMobile, "HarmonyOS (Phone; …)"
		case strings.Contains(lower, "android"):
			return androidDevice(ua, lower, p), "HarmonyOS 2–4 (an Android UA): Android rules"
		case huaweiWiFiModel(ua), tabletModel(ua, lower):
			return DeviceTablet, "HarmonyOS with a tablet model code"
		}
		return DeviceMobile, "HarmonyOS, no form factor named"
	case OSWindows, OSMacOS:
		// iPadOS Safari asks for desktop sites with a Macintosh UA: it is
		// indistinguishable here and counted as macOS desktop.
		return DeviceDesktop, "Windows and macOS are desktop"
	}
	// Linux and other: a "Mobile" token, or the parser's flags for phone
	// platforms it knows (Windows Phone, BlackBerry). Its Android flags are
	// not used here: it forces Android, hence mobile, on any SamsungBrowser
	// UA, DeX desktops included.
	switch {
	case strings.Contains(lower, "mobile"):
		return DeviceMobile, "Mobile token"
	case p.OS == useragent.Android:
	case p.Tablet:
		return DeviceTablet, "parser: tablet"
	case p.Mobile:
		return DeviceMobile, "parser: mobile platform"
	}
	return DeviceDesktop, "Linux or other OS without a mobile token"
}

// androidDevice: the parser says "tablet" only when the UA contains the word
// and calls every other Android device mobile. hutong follows Android's own
// convention (a tablet browser omits "Mobile") with two corrections seen in
// real UAs: Huawei/Honor Wi-Fi-only models (XXX-W09) are tablets even when
// their web-view says "Mobile Safari", and Samsung foldables (SM-F7xx,
// SM-F9xx), which drop "Mobile" when unfolded, are phones.
//
// Tablets whose web-view still says "Mobile" are recognised by their model
// family (tabletModel): Samsung Galaxy Tab/Note tablets, Huawei/Honor
// MediaPad/MatePad model codes, Xiaomi/Redmi/Honor/Lenovo pads, education
// tablets, and apps that state it themselves (DingTalk's "Pad/APad").
// The "no Mobile token means tablet" convention is Android's browser
// convention: an app's own HTTP client ("Android/6.0.1 (samsung SM-G9280;
// …) App/3.4.8 …") that is not a browser UA is a phone unless its model
// says otherwise.
func androidDevice(ua, lower string, p useragent.UserAgent) Device {
	switch {
	case p.Tablet || strings.Contains(lower, "tablet"):
		return DeviceTablet
	case huaweiWiFiModel(ua), tabletModel(ua, lower):
		return DeviceTablet
	case !strings.Contains(lower, "mobile") && !samsungFoldable(ua) && isBrowserUA(lower):
		return DeviceTablet
	}
	return DeviceMobile
}

// isBrowserUA reports a browser-engine UA (web-view or browser), as opposed
// to an app's own HTTP client.
func isBrowserUA(lower string) bool {
	return strings.HasPrefix(lower, "mozilla/") || strings.Contains(lower, "applewebkit") ||
		strings.Contains(lower, "gecko")
}

// tabletModels are lower-case model-name fragments that only tablets carry.
// Read-only.
var tabletModels = [...]string{
	" pad ", " pad;", " pad)", "pad/apad", "/apad", "xiaomi pad", "redmi pad", "mi pad",
	"matepad", "mediapad", "honor pad", "lenovo tb-", "lenovo tab", "ideatab", "lifetab",
	"smarttab", "smart_tab", "_tab_", " tab ", "readboy_", "transformer", "nexus 7",
	"nexus_7", "nexus 9", "nexus 10", "xoom", "kindle", "silk/", "-mid",
}

// huaweiTabletPrefixes are Huawei/Honor tablet model codes ("MRX-AN19"
// is a MatePad Pro 5G, "BAH3-L09" a MatePad 10.4 LTE): Huawei gives tablets
// their own three- or four-letter series, with or without a modem.
// Read-only.
var huaweiTabletPrefixes = [...]string{
	"AGS", "AGR", "BAH", "BTK", "BZA", "BZC", "BZD", "BZT", "CMR", "DBR", "DBY",
	"GEM", "GOT", "HEY", "JDN", "KOB", "KRJ", "MRX", "MRR", "PCE", "SCM", "SHT",
	"TGR", "WGR",
}

// tabletModel reports a model name or code of a tablet family in ua.
func tabletModel(ua, lower string) bool {
	for _, m := range tabletModels {
		if strings.Contains(lower, m) {
			return true
		}
	}
	// Samsung: SM-T (Galaxy Tab), SM-X (Tab S8 and later), SM-P (Note
	// tablets), GT-P and GT-N51xx/N80xx (older Tab and Note 8/10.1).
	for off := 0; ; {
		k := strings.Index(ua[off:], "-")
		if k < 0 {
			break
		}
		i := off + k
		off = i + 1
		if i >= 2 && i+2 < len(ua) && (ua[i-2:i] == "SM" || ua[i-2:i] == "GT") &&
			(i < 3 || !isAlnum(ua[i-3])) {
			c, d := ua[i+1], ua[i+2]
			if ua[i-2:i] == "SM" && (c == 'T' || c == 'X' || c == 'P') && isDigit(d) {
				return true
			}
			if ua[i-2:i] == "GT" && (c == 'P' || c == 'N' && i+3 < len(ua) && (d == '5' || d == '8') && isDigit(ua[i+3])) && (c == 'N' || isDigit(d)) {
				return true
			}
		}
		// Huawei: three capitals, an optional digit, then "-" and a
		// variant ("-AN19", "-W09", "-L09", "-703L").
		j := i
		for j > 0 && i-j < 4 && (isUpper(ua[j-1]) || isDigit(ua[j-1])) {
			j--
		}
		if n := i - j; n >= 3 && n <= 4 && (j == 0 || !isAlnum(ua[j-1])) && isUpper(ua[j]) {
			code := ua[j : j+3]
			for _, pfx := range huaweiTabletPrefixes {
				if code == pfx {
					return true
				}
			}
		}
	}
	return false
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// huaweiWiFiModel reports a Huawei/Honor model code of a Wi-Fi-only device,
// "BRT-W09", "DBY-W09", "AGS3-W00": three or four capitals/digits starting with
// a capital, "-W", two digits. Huawei phones always have a modem (-AL00,
// -AN00, -TL00, -L29 …); Wi-Fi-only variants are tablets.
func huaweiWiFiModel(ua string) bool {
	for off := 0; ; {
		k := strings.Index(ua[off:], "-W")
		if k < 0 {
			return false
		}
		i := off + k
		off = i + 2
		if i+4 > len(ua) || !isDigit(ua[i+2]) || !isDigit(ua[i+3]) ||
			(i+4 < len(ua) && isAlnum(ua[i+4])) {
			continue
		}
		j := i
		for j > 0 && i-j < 5 && (isUpper(ua[j-1]) || isDigit(ua[j-1])) {
			j--
		}
		if n := i - j; n >= 3 && n <= 4 && isUpper(ua[j]) && (j == 0 || !isAlnum(ua[j-1])) {
			return true
		}
	}
}

// samsungFoldable reports a Galaxy Z Fold (SM-F9xx) or Flip (SM-F7xx) model.
func samsungFoldable(ua string) bool {
	i := strings.Index(ua, "SM-F")
	return i >= 0 && i+6 <= len(ua) && (ua[i+4] == '9' || ua[i+4] == '7') && isDigit(ua[i+5])
}
