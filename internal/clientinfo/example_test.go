package clientinfo_test

import (
	"fmt"

	"github.com/hutong-dev/hutong/internal/clientinfo"
)

func ExampleDetector_Detect() {
	d := clientinfo.NewDetector(clientinfo.Config{})
	c := d.Detect("Mozilla/5.0 (Linux; Android 14; 23116PN5BC Build/UKQ1.230804.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 MMWEBSDK/20240404 MMWEBID/8518 MicroMessenger/8.0.49.2600(0x28003133) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64")
	fmt.Println(c.App, c.AppVersion, c.OS, c.OSVersion, c.Device, c.Network, c.Language)
	// Output: wechat 8.0.49 android 14 mobile WIFI zh_CN
}

func ExampleSceneOf() {
	scene, installed := clientinfo.SceneOf("groupmessage", "0", clientinfo.AppWeChat)
	fmt.Println(scene, *installed, clientinfo.StripParams())
	// Output: group false [from isappinstalled]
}
