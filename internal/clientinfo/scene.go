package clientinfo

import "strings"

// Query parameters WeChat appends to links shared through it. They describe
// the share, not the destination: read them with [SceneOf], then drop them
// from the URL hutong redirects to (see [StripParams]).
const (
	ParamFrom           = "from"           // singlemessage, groupmessage, timeline
	ParamIsAppInstalled = "isappinstalled" // 0 or 1
)

// StripParams returns the names of the query parameters the caller must
// remove from the destination URL. It returns a new slice on every call.
func StripParams() []string {
	return []string{ParamFrom, ParamIsAppInstalled}
}

// SceneFromQuery maps WeChat's from= value to a Scene: singlemessage → chat,
// groupmessage → group, timeline → moments (case-insensitive). The
// mini-program web-view is SceneMiniProgram whatever from says. Anything else
// is SceneNone. It does not allocate.
func SceneFromQuery(from string, app App) Scene {
	if app == AppWeChatMiniProgram {
		return SceneMiniProgram
	}
	switch {
	case strings.EqualFold(from, "singlemessage"):
		return SceneChat
	case strings.EqualFold(from, "groupmessage"):
		return SceneGroup
	case strings.EqualFold(from, "timeline"):
		return SceneMoments
	}
	return SceneNone
}

// SceneOf is [SceneFromQuery] plus WeChat's isappinstalled= value: "1" or
// "true" gives a pointer to true, "0" or "false" a pointer to false, anything
// else (absent included) nil. Each call returns a fresh pointer.
func SceneOf(from, isAppInstalled string, app App) (Scene, *bool) {
	var installed *bool
	switch {
	case isAppInstalled == "1" || strings.EqualFold(isAppInstalled, "true"):
		b := true
		installed = &b
	case isAppInstalled == "0" || strings.EqualFold(isAppInstalled, "false"):
		b := false
		installed = &b
	}
	return SceneFromQuery(from, app), installed
}
