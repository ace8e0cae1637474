package clientinfo

import (
	"slices"
	"testing"
)

func TestSceneOf(t *testing.T) {
	tru, fal := true, false
	tests := []struct {
		from, installed string
		app             App
		want            Scene
		wantInstalled   *bool
	}{
		{"singlemessage", "0", AppWeChat, SceneChat, &fal},
		{"groupmessage", "1", AppWeChat, SceneGroup, &tru},
		{"timeline", "", AppWeChat, SceneMoments, nil},
		{"TimeLine", "true", AppWeChat, SceneMoments, &tru},
		{"SingleMessage", "false", AppWeCom, SceneChat, &fal},
		{"singlemessage", "", AppBrowser, SceneChat, nil}, // shared in WeChat, opened elsewhere
		{"timeline", "1", AppWeChatMiniProgram, SceneMiniProgram, &tru},
		{"", "", AppWeChatMiniProgram, SceneMiniProgram, nil},
		{"", "", AppWeChat, SceneNone, nil},
		{"message", "2", AppWeChat, SceneNone, nil},
		{"singlemessage\x00", "yes", AppWeChat, SceneNone, nil},
	}
	for _, tc := range tests {
		got, gotInstalled := SceneOf(tc.from, tc.installed, tc.app)
		if got != tc.want || !equalBoolPtr(gotInstalled, tc.wantInstalled) {
			t.Errorf("SceneOf(%q, %q, %s) = %q, %s; want %q, %s",
				tc.from, tc.installed, tc.app, got, fmtBoolPtr(gotInstalled), tc.want, fmtBoolPtr(tc.wantInstalled))
		}
		if got := SceneFromQuery(tc.from, tc.app); got != tc.want {
			t.Errorf("SceneFromQuery(%q, %s) = %q; want %q", tc.from, tc.app, got, tc.want)
		}
		c := Client{App: AppBrowser, OS: OSOther, Device: DeviceDesktop, Scene: got}
		if !c.Valid() {
			t.Errorf("scene %q makes an invalid Client", got)
		}
	}
}

func TestSceneOfFreshPointer(t *testing.T) {
	_, a := SceneOf("", "1", AppWeChat)
	_, b := SceneOf("", "1", AppWeChat)
	*a = false
	if !*b {
		t.Error("SceneOf returned a shared *bool")
	}
}

func TestStripParams(t *testing.T) {
	got := StripParams()
	if want := []string{"from", "isappinstalled"}; !slices.Equal(got, want) {
		t.Errorf("StripParams() = %q; want %q", got, want)
	}
	got[0] = "changed"
	if StripParams()[0] != ParamFrom {
		t.Error("StripParams returned a shared slice")
	}
}

func TestValid(t *testing.T) {
	ok := Client{App: AppWeChat, OS: OSiOS, Device: DeviceMobile}
	bot := Client{App: AppBot, OS: OSOther, Device: DeviceBot, Bot: true}
	tests := []struct {
		name string
		c    Client
		want bool
	}{
		{"ok", ok, true},
		{"bot", bot, true},
		{"zero", Client{}, false},
		{"bad app", Client{App: "x", OS: OSiOS, Device: DeviceMobile}, false},
		{"bad os", Client{App: AppWeChat, OS: "x", Device: DeviceMobile}, false},
		{"bad device", Client{App: AppWeChat, OS: OSiOS, Device: "x"}, false},
		{"bad scene", Client{App: AppWeChat, OS: OSiOS, Device: DeviceMobile, Scene: "x"}, false},
		{"bot flag without bot app", Client{App: AppWeChat, OS: OSiOS, Device: DeviceMobile, Bot: true}, false},
		{"bot app without bot device", Client{App: AppBot, OS: OSOther, Device: DeviceDesktop, Bot: true}, false},
	}
	for _, tc := range tests {
		if got := tc.c.Valid(); got != tc.want {
			t.Errorf("%s: Valid() = %v; want %v", tc.name, got, tc.want)
		}
	}
}

func equalBoolPtr(a, b *bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func fmtBoolPtr(p *bool) string {
	switch {
	case p == nil:
		return "nil"
	case *p:
		return "&true"
	}
	return "&false"
}
