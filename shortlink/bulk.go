package shortlink

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hutong-dev/hutong/internal/route"
)

// MaxBulkRows is the most rows one bulk import may carry.
const MaxBulkRows = 10000

// Row is one row of a bulk import file: the Input it asks for, or Err
// (CodeInvalid) when the row could not be read. Service.Import makes the
// rows that could.
type Row struct {
	Input Input
	Err   error
}

// BulkColumns are the CSV columns a bulk import understands.
var BulkColumns = []string{"target", "alias", "domain", "expires_at", "max_clicks", "tags", "campaign",
	"title", "description", "image", "buy_now", "sku", "quantity", "prefer_web", "utm_source", "utm_medium", "utm_campaign", "tpwd", "wechat_tpwd_guide", "qr_logo"}

// ParseCSV reads a bulk import in CSV: a header row naming BulkColumns
// (target required), then one link per row; tags are split on ";" or "|".
// A bad header refuses the file (CodeInvalid); a bad row is a Row with
// Err. It stops after MaxBulkRows+1 rows (Import refuses that many).
func ParseCSV(body []byte) ([]Row, error) {
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, Errorf(CodeInvalid, "CSV: cannot read the header row: %v", err)
	}
	idx := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(BulkColumns, h) {
			return nil, Errorf(CodeInvalid, "CSV header: unknown column %q (known: %s)", h, strings.Join(BulkColumns, ", "))
		}
		idx[h] = i
	}
	if _, ok := idx["target"]; !ok {
		return nil, Errorf(CodeInvalid, "CSV header: a target column is required")
	}
	var rows []Row
	for len(rows) <= MaxBulkRows {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err != csv.ErrFieldCount {
				rows = append(rows, Row{Err: Errorf(CodeInvalid, "CSV: %v", err)})
				continue
			}
		}
		get := func(col string) string {
			if i, ok := idx[col]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		var row Row
		row.Input, row.Err = csvRow(get)
		rows = append(rows, row)
	}
	return rows, nil
}

func csvRow(get func(string) string) (Input, error) {
	str := func(v string) *string { return &v }
	in := Input{Target: str(get("target"))}
	if v := get("alias"); v != "" {
		in.Alias = str(v)
	}
	if v := get("domain"); v != "" {
		in.Domain = str(v)
	}
	if v := get("expires_at"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return in, invalidBecause("expires_at", ReasonFormat, "want an RFC 3339 time such as 2026-12-31T23:59:59+08:00")
		}
		in.ExpiresAt = OptTime{Set: true, T: &t}
	}
	if v := get("max_clicks"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return in, invalidBecause("max_clicks", ReasonFormat, "want a whole number")
		}
		in.MaxClicks = &n
	}
	if v := get("tags"); v != "" {
		var tags []string
		for _, t := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '|' }) {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
		in.Tags = &tags
	}
	for col, p := range map[string]**string{"campaign": &in.Campaign, "title": &in.Title, "description": &in.Description, "image": &in.Image, "qr_logo": &in.QRLogo} {
		if v := get(col); v != "" {
			*p = str(v)
		}
	}
	if v := get("buy_now") + get("sku") + get("quantity") + get("prefer_web") + get("wechat_tpwd_guide"); v != "" {
		in.Route = new(route.Overrides)
		in.Route.BuyNow = Truthy(get("buy_now"))
		in.Route.PreferWeb = Truthy(get("prefer_web"))
		in.Route.WeChatTpwdGuide = Truthy(get("wechat_tpwd_guide"))
		in.Route.SKU = get("sku")
		if q := get("quantity"); q != "" {
			n, err := strconv.Atoi(q)
			if err != nil || n < 1 {
				e := invalidBecause("route.quantity", ReasonRange, "")
				e.Message = "quantity: want a whole number of at least 1"
				return in, e
			}
			in.Route.Quantity = n
		}
	}
	utm := map[string]string{}
	for _, k := range []string{"utm_source", "utm_medium", "utm_campaign"} {
		if v := get(k); v != "" {
			utm[k] = v
		}
	}
	if len(utm) > 0 {
		in.UTM = &utm
	}
	if v := get("tpwd"); v != "" {
		if err := in.Tpwd.ParseText(v); err != nil {
			return in, err
		}
	}
	return in, nil
}

// Truthy reports whether a form or CSV value means yes: 1, true, yes or y
// (any case).
func Truthy(s string) bool {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "y":
		return true
	}
	return false
}

// ParseJSONL reads a bulk import in JSON Lines: one Input object per
// line (DecodeJSON's rules), blank lines skipped, each line under 1 MiB.
// A bad line is a Row with Err. It stops after MaxBulkRows+1 rows.
func ParseJSONL(body []byte) ([]Row, error) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var rows []Row
	for len(rows) <= MaxBulkRows && sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var row Row
		row.Err = DecodeJSON(line, &row.Input)
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, Errorf(CodeInvalid, "JSONL: %v (one JSON object per line, each under 1 MiB)", err)
	}
	return rows, nil
}

// DecodeJSON decodes one JSON object from body into v, refusing invalid
// UTF-8, unknown fields and trailing data, with CodeInvalid messages that
// name the problem (the byte offset, the field and its type).
func DecodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Errorf(CodeInvalid, "empty body: send a JSON object such as {\"target\": \"https://item.taobao.com/item.htm?id=…\"}")
	}
	// encoding/json would store invalid UTF-8 as U+FFFD: refuse it.
	if !utf8.Valid(body) {
		return Errorf(CodeInvalid, "body is not valid UTF-8 (at byte %d): send the text as UTF-8", invalidUTF8At(body))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return Errorf(CodeInvalid, "invalid JSON at byte %d: %v", se.Offset, se)
		case errors.As(err, &te):
			return &Error{Code: CodeInvalid, Field: te.Field, Message: fmt.Sprintf("field %q: want %s, got %s", te.Field, te.Type, te.Value)}
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return Errorf(CodeInvalid, "%s (see /api/v1/openapi.json for the fields)", strings.TrimPrefix(err.Error(), "json: "))
		}
		var e *Error
		if errors.As(err, &e) { // a field's own UnmarshalJSON (TpwdRequest)
			return &Error{Code: CodeInvalid, Field: e.Field, Reason: e.Reason, Message: "invalid JSON: " + e.Message}
		}
		return Errorf(CodeInvalid, "invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(CodeInvalid, "invalid JSON: one object expected, found more after it")
	}
	return nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}
