package route

import (
	"fmt"
	"strings"
)

// RulesError is one problem in a rules file, at a line (0 when the problem
// is not tied to a line). Load and LoadFile return one RulesError, or
// several joined with errors.Join; match them with errors.As.
type RulesError struct {
	File string // the name given to Load, or the path given to LoadFile
	Line int    // 1-based; 0 when not tied to a line
	Msg  string // what is wrong, with the key path and the valid values
}

// Error formats the error as "file:line: message".
func (e *RulesError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// pos is where a setting came from.
type pos struct {
	file string
	line int
}

func (p pos) errorf(format string, args ...any) *RulesError {
	return &RulesError{File: p.file, Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

// cellSpec is one routing table cell as written.
type cellSpec struct {
	action Action
	target target
	at     pos
	set    bool
}

// tplSpec is one template as written.
type tplSpec struct {
	srcs []string
	at   pos
	set  bool
}

// platform indexes templates.
const (
	platTaobao = iota // Taobao, and any entity not on Tmall
	platTmall
	numPlatforms
)

var platformNames = [numPlatforms]string{"taobao", "tmall"}

// spec is the merged content of the embedded defaults and a rules file.
type spec struct {
	preferWeb      bool
	noCheckout     bool
	stripSharer    bool
	stripParams    []string
	forwardParams  []string
	intentBrowsers []string
	payName        string
	payValues      [2]string // [0] wechat, [1] alipay
	allow          []string
	allowAt        pos
	templates      [numPlatforms][numTargets]tplSpec
	cells          [numClasses][numColumns]cellSpec
}

// walker applies one document onto a spec, collecting errors.
type walker struct {
	file string
	s    *spec
	errs []error
}

func (w *walker) at(n *node) pos { return pos{w.file, n.line} }

func (w *walker) errf(n *node, path, format string, args ...any) {
	if len(w.errs) >= 20 {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	w.errs = append(w.errs, &RulesError{File: w.file, Line: n.line, Msg: msg})
}

func quoteList(names []string) string {
	return strings.Join(names, ", ")
}

// mapping iterates over a mapping's entries, rejecting duplicate keys and
// keys not in valid (when valid is non-nil).
func (w *walker) mapping(n *node, path string, valid []string, f func(key string, k, v *node)) {
	if n.kind == nodeNull {
		return
	}
	if n.kind != nodeMap {
		w.errf(n, path, "got %s; want a mapping", n.describe())
		return
	}
	seen := make(map[string]int, len(n.keys))
	for i, k := range n.keys {
		key := k.str
		if l, dup := seen[key]; dup {
			w.errf(k, join(path, key), "duplicate key (first at line %d)", l)
			continue
		}
		seen[key] = k.line
		if valid != nil && !contains(valid, key) {
			w.errf(k, path, "unknown key %q (valid: %s)", key, quoteList(valid))
			continue
		}
		f(key, k, n.vals[i])
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (w *walker) boolean(n *node, path string, dst *bool) {
	if n.kind != nodeScalar || n.typ != scalarBool {
		w.errf(n, path, "got %s; want true or false", n.describe())
		return
	}
	*dst = n.str == "true"
}

func (w *walker) str(n *node, path string) (string, bool) {
	if n.kind != nodeScalar || n.typ == scalarBool {
		w.errf(n, path, "got %s; want a string", n.describe())
		return "", false
	}
	return n.str, true
}

func (w *walker) strList(n *node, path string) ([]string, bool) {
	if n.kind == nodeNull {
		return []string{}, true
	}
	if n.kind != nodeSeq {
		w.errf(n, path, "got %s; want a list of strings", n.describe())
		return nil, false
	}
	out := make([]string, 0, len(n.items))
	ok := true
	for _, it := range n.items {
		s, good := w.str(it, path)
		if !good {
			ok = false
			continue
		}
		out = append(out, s)
	}
	return out, ok
}

var topKeys = []string{
	"version", "prefer_web", "no_checkout", "strip_sharer", "strip_params",
	"forward_params", "intent_browsers", "pay_channel_param", "allowlist",
	"allowlist_add", "templates", "routes",
}

// apply walks a whole rules document.
func (w *walker) apply(root *node) {
	if root.kind == nodeNull {
		return // an empty file changes nothing
	}
	w.mapping(root, "", topKeys, func(key string, k, v *node) {
		switch key {
		case "version":
			if v.kind != nodeScalar || v.str != "1" {
				w.errf(v, key, "got %s; want 1", v.describe())
			}
		case "prefer_web":
			w.boolean(v, key, &w.s.preferWeb)
		case "no_checkout":
			w.boolean(v, key, &w.s.noCheckout)
		case "strip_sharer":
			w.boolean(v, key, &w.s.stripSharer)
		case "strip_params":
			if l, ok := w.paramNames(v, key, false); ok {
				w.s.stripParams = l
			}
		case "forward_params":
			if l, ok := w.paramNames(v, key, true); ok {
				w.s.forwardParams = l
			}
		case "intent_browsers":
			if l, ok := w.strList(v, key); ok {
				w.s.intentBrowsers = l
			}
		case "pay_channel_param":
			w.payParam(v, key)
		case "allowlist":
			if l, ok := w.hosts(v, key); ok {
				w.s.allow = l
				w.s.allowAt = w.at(v)
			}
		case "allowlist_add":
			if l, ok := w.hosts(v, key); ok {
				w.s.allow = append(append([]string(nil), w.s.allow...), l...)
				w.s.allowAt = w.at(v)
			}
		case "templates":
			w.templates(v, key)
		case "routes":
			w.routes(v, key)
		}
	})
}

// paramNames reads a list of query parameter names; with wildcard, a name
// may end in '*' to match a prefix (utm_*).
func (w *walker) paramNames(n *node, path string, wildcard bool) ([]string, bool) {
	l, ok := w.strList(n, path)
	if !ok {
		return nil, false
	}
	for i, s := range l {
		name := s
		if wildcard {
			name = strings.TrimSuffix(s, "*")
		}
		bad := name == ""
		for j := 0; j < len(name); j++ {
			if !unreserved(name[j]) && name[j] != '%' {
				bad = true
			}
		}
		if bad {
			item := n.items[i]
			if wildcard {
				w.errf(item, path, "bad parameter name %q (letters, digits, - . _ ~, optionally ending in *)", s)
			} else {
				w.errf(item, path, "bad parameter name %q (letters, digits, - . _ ~)", s)
			}
			ok = false
		}
	}
	return l, ok
}

func (w *walker) hosts(n *node, path string) ([]string, bool) {
	l, ok := w.strList(n, path)
	if !ok {
		return nil, false
	}
	for i, h := range l {
		norm, err := normalizeAllowHost(h)
		if err != nil {
			w.errf(n.items[i], path, "%v", err)
			ok = false
			continue
		}
		l[i] = norm
	}
	return l, ok
}

func (w *walker) payParam(n *node, path string) {
	if n.kind == nodeNull {
		w.s.payName, w.s.payValues = "", [2]string{}
		return
	}
	name, vals := "", [2]string{}
	w.mapping(n, path, []string{"name", "values"}, func(key string, k, v *node) {
		switch key {
		case "name":
			if s, ok := w.str(v, join(path, key)); ok {
				name = s
				if names, ok := w.paramNames(&node{kind: nodeSeq, items: []*node{v}}, join(path, key), false); !ok || len(names) != 1 {
					name = ""
				}
			}
		case "values":
			w.mapping(v, join(path, key), []string{PayWeChat, PayAlipay}, func(ch string, _, cv *node) {
				if s, ok := w.str(cv, join(join(path, key), ch)); ok {
					i := 0
					if ch == PayAlipay {
						i = 1
					}
					vals[i] = s
				}
			})
		}
	})
	if name == "" && n.kind == nodeMap {
		w.errf(n, path, "needs a name (the query parameter that carries the channel)")
		return
	}
	w.s.payName, w.s.payValues = name, vals
}

func templateNames() []string {
	var out []string
	for t := target(1); t < numTargets; t++ {
		out = append(out, targetNames[t])
	}
	return out
}

func (w *walker) templates(n *node, path string) {
	valid := append(append([]string(nil), platformNames[:]...), templateNames()...)
	w.mapping(n, path, valid, func(key string, k, v *node) {
		switch key {
		case platformNames[platTaobao], platformNames[platTmall]:
			p := platTaobao
			if key == platformNames[platTmall] {
				p = platTmall
			}
			w.mapping(v, join(path, key), templateNames(), func(name string, _, tv *node) {
				w.template(p, name, tv, join(join(path, key), name))
			})
		default:
			w.template(platTaobao, key, v, join(path, key))
		}
	})
}

func (w *walker) template(p int, name string, n *node, path string) {
	t := lookupTarget(name)
	var srcs []string
	switch n.kind {
	case nodeScalar:
		s, ok := w.str(n, path)
		if !ok {
			return
		}
		srcs = []string{s}
	case nodeSeq:
		l, ok := w.strList(n, path)
		if !ok {
			return
		}
		if len(l) == 0 {
			w.errf(n, path, "empty list of alternatives")
			return
		}
		srcs = l
	default:
		w.errf(n, path, "got %s; want a template string or a list of alternatives", n.describe())
		return
	}
	// Compile now for an early, well-placed error; the Table compiles again.
	if _, err := compileTemplate(name, srcs, t.web()); err != nil {
		w.errf(n, path, "%v", err)
		return
	}
	w.s.templates[p][t] = tplSpec{srcs: srcs, at: w.at(n), set: true}
}

func classNames() []string {
	out := make([]string, len(classes))
	for i, c := range classes {
		out[i] = string(c)
	}
	return out
}

func columnNames() []string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = string(c)
	}
	return out
}

func actionNames() []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = string(a)
	}
	return out
}

var actions = []Action{ActionRedirect, ActionInterstitial, ActionGuide, ActionJSON, ActionPreview, ActionInfo}

func (w *walker) routes(n *node, path string) {
	w.mapping(n, path, classNames(), func(cls string, _, cv *node) {
		ci := classIndex(Class(cls))
		w.mapping(cv, join(path, cls), columnNames(), func(col string, _, v *node) {
			coli := columnIndex(Column(col))
			p := join(join(path, cls), col)
			var actionStr, targetStr string
			var actionNode, targetNode = v, v
			switch v.kind {
			case nodeScalar:
				s, ok := w.str(v, p)
				if !ok {
					return
				}
				f := strings.Fields(s)
				if len(f) == 0 || len(f) > 2 {
					w.errf(v, p, "got %q; want \"ACTION\" or \"ACTION TARGET\"", s)
					return
				}
				actionStr = f[0]
				if len(f) == 2 {
					targetStr = f[1]
				}
			case nodeMap:
				w.mapping(v, p, []string{"action", "target"}, func(key string, _, fv *node) {
					s, ok := w.str(fv, join(p, key))
					if !ok {
						return
					}
					if key == "action" {
						actionStr, actionNode = s, fv
					} else {
						targetStr, targetNode = s, fv
					}
				})
				if actionStr == "" {
					w.errf(v, p, "missing action (valid: %s)", quoteList(actionNames()))
					return
				}
			default:
				w.errf(v, p, "got %s; want \"ACTION TARGET\" or {action: …, target: …}", v.describe())
				return
			}
			a := Action(actionStr)
			if !contains(actionNames(), actionStr) {
				w.errf(actionNode, p, "unknown action %q (valid: %s)", actionStr, quoteList(actionNames()))
				return
			}
			var t target
			allowed := columnTargets[coli]
			if targetStr != "" {
				t = lookupTarget(targetStr)
				if t == tNone || !containsTarget(allowed, t) {
					names := make([]string, len(allowed))
					for i, x := range allowed {
						names[i] = targetNames[x]
					}
					if len(names) == 0 {
						w.errf(targetNode, p, "unknown target %q: column %s has no target", targetStr, col)
					} else {
						w.errf(targetNode, p, "unknown target %q for column %s (valid: %s)", targetStr, col, quoteList(names))
					}
					return
				}
			}
			if (a == ActionRedirect || a == ActionInterstitial) && t == tNone {
				if len(allowed) == 0 {
					w.errf(actionNode, p, "action %s needs a target, and column %s has none (use guide, info, json or preview)", a, col)
				} else {
					names := make([]string, len(allowed))
					for i, x := range allowed {
						names[i] = targetNames[x]
					}
					w.errf(actionNode, p, "action %s needs a target (valid: %s)", a, quoteList(names))
				}
				return
			}
			w.s.cells[ci][coli] = cellSpec{action: a, target: t, at: w.at(v), set: true}
		})
	})
}

func containsTarget(list []target, t target) bool {
	for _, x := range list {
		if x == t {
			return true
		}
	}
	return false
}
