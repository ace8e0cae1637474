package ui

import (
	"fmt"
	"strings"

	"github.com/hutong-dev/hutong/shortlink"
)

// localError words an input error that formErrors does not list. On an
// English page it is shortlink's own message (naming what to fix, as the
// API answers it). On a Chinese page it is worded from the error's kind,
// field and reason (alias taken or malformed, a field too long, required,
// out of range, unreadable); what none of those describe keeps the English
// detail after the field's Chinese name, so the page never shows an
// unexplained English sentence.
func localError(msgs map[string]string, e *shortlink.Error) string {
	if msgs["lang.zh"] == "" {
		return e.Message
	}
	label := msgs["f."+formField(e.Field)]
	if label == "" || formField(e.Field) == "" {
		label = e.Field
	}
	switch {
	case e.Field == "alias" && e.Code == shortlink.CodeConflict:
		return msgs["e.alias.taken"]
	case e.Field == "alias" && e.Code == shortlink.CodeInvalid:
		return msgs["e.alias.bad"]
	case e.Code == shortlink.CodeConflict:
		return msgs["edit.conflict"]
	case e.Reason == shortlink.ReasonTooLong:
		return fmt.Sprintf(msgs["e.toolong"], label)
	case e.Reason == shortlink.ReasonRequired:
		return fmt.Sprintf(msgs["e.required"], label)
	case e.Reason == shortlink.ReasonRange:
		return fmt.Sprintf(msgs["e.range"], label)
	case e.Reason == shortlink.ReasonFormat:
		return fmt.Sprintf(msgs["e.format"], label)
	case e.Reason == shortlink.ReasonURL:
		return fmt.Sprintf(msgs["e.url"], label)
	}
	if label == "" {
		return msgs["e.other"] + e.Message
	}
	return strings.TrimSpace(fmt.Sprintf(msgs["e.field"], label) + e.Message)
}
