package clientinfo

// Explanation says which rule decided each field of a classification, for
// `hutong ua --explain` and for triaging a miss. Every field is a short
// English sentence; empty when the step did not run (no app step for a bot).
type Explanation struct {
	// Client is the classification explained (not in the JSON form).
	Client Client `json:"-"`
	// Bot names the rule family that recognised a bot; empty for humans.
	Bot string `json:"bot,omitempty"`
	// App is the in-app rule that matched (the first, in ROUTING.md order).
	App string `json:"app,omitempty"`
	// OS says what the UA parser saw and whether hutong corrected it.
	OS string `json:"os"`
	// Device is the form-factor rule that decided.
	Device string `json:"device"`
	// Shell explains UnknownShell when it is set.
	Shell string `json:"shell,omitempty"`
}

// Explain classifies ua without any cache, exactly as [Detector.Detect]
// does, and says why. It is meant for people, not the hot path (it runs the
// uncached classification every time). Only the first MaxUALength bytes are
// read. Safe for concurrent use.
func Explain(ua string) Explanation {
	if len(ua) > MaxUALength {
		ua = ua[:MaxUALength]
	}
	c, ex := classifyExplain(string([]byte(ua)))
	e := Explanation{Client: c, Bot: ex.bot, App: ex.app, Device: ex.device}
	parser := ex.parserOS
	if parser == "" {
		parser = "nothing"
	}
	e.OS = "parser saw " + parser + "; hutong says " + string(c.OS)
	switch {
	case c.OS == OSHarmonyOS:
		e.OS += " (HarmonyOS/OpenHarmony/ArkWeb token wins over the parser's Android)"
	case ex.parserOS == "":
		e.OS += " (case-insensitive token fallback)"
	}
	if c.UnknownShell {
		e.Shell = "an app web-view hutong does not recognise (Android \"; wv)\" or iOS WKWebView without Safari/): routed as the " + string(c.OS) + " browser and counted in hutong_client_unknown_total"
	}
	return e
}
