package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// node is a parsed rules document, YAML or JSON, with line numbers.
type node struct {
	kind  nodeKind
	typ   scalarType // scalars only
	str   string     // scalars only
	line  int
	keys  []*node // mappings: keys[i] → vals[i]
	vals  []*node
	items []*node // sequences
}

type nodeKind uint8

const (
	nodeNull nodeKind = iota
	nodeScalar
	nodeMap
	nodeSeq
)

type scalarType uint8

const (
	scalarString scalarType = iota
	scalarNumber
	scalarBool
)

func (n *node) describe() string {
	switch n.kind {
	case nodeNull:
		return "null"
	case nodeMap:
		return "a mapping"
	case nodeSeq:
		return "a list"
	}
	switch n.typ {
	case scalarNumber:
		return "the number " + n.str
	case scalarBool:
		return "the boolean " + n.str
	}
	return strconv.Quote(n.str)
}

// Limits that keep a hostile rules file from exhausting memory.
const (
	maxRulesSize  = 1 << 20
	maxRulesDepth = 32
	maxRulesNodes = 100000
)

// isJSON decides the format: by extension, else by the first byte.
func isJSON(name string, data []byte) bool {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".json"):
		return true
	case strings.HasSuffix(lower, ".yaml"), strings.HasSuffix(lower, ".yml"):
		return false
	}
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// parseTree parses data as JSON or YAML. Errors are *RulesError.
func parseTree(name string, data []byte) (*node, error) {
	if len(data) > maxRulesSize {
		return nil, &RulesError{File: name, Msg: fmt.Sprintf("file larger than %d bytes", maxRulesSize)}
	}
	if isJSON(name, data) {
		return parseJSON(name, data)
	}
	return parseYAML(name, data)
}

// lineOf returns the 1-based line of byte offset off.
func lineOf(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

func parseJSON(name string, data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	count := 0
	jerr := func(err error) error {
		var se *json.SyntaxError
		off := int(dec.InputOffset())
		msg := err.Error()
		switch {
		case errors.As(err, &se):
			off = int(se.Offset)
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			off = len(data)
			msg = "unexpected end of JSON input"
		}
		return &RulesError{File: name, Line: lineOf(data, off), Msg: "invalid JSON: " + msg}
	}
	// start returns the line where the next token starts.
	start := func() int {
		off := int(dec.InputOffset())
		for off < len(data) {
			switch data[off] {
			case ' ', '\t', '\r', '\n', ':', ',':
				off++
				continue
			}
			break
		}
		return lineOf(data, off)
	}
	var parse func(depth int) (*node, error)
	parse = func(depth int) (*node, error) {
		count++
		if count > maxRulesNodes {
			return nil, &RulesError{File: name, Line: start(), Msg: "too many values"}
		}
		if depth > maxRulesDepth {
			return nil, &RulesError{File: name, Line: start(), Msg: "nested too deeply"}
		}
		line := start()
		tok, err := dec.Token()
		if err != nil {
			return nil, jerr(err)
		}
		n := &node{line: line}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				n.kind = nodeMap
				for dec.More() {
					kline := start()
					kt, err := dec.Token()
					if err != nil {
						return nil, jerr(err)
					}
					ks, ok := kt.(string)
					if !ok {
						return nil, &RulesError{File: name, Line: kline, Msg: "invalid JSON: object key is not a string"}
					}
					v, err := parse(depth + 1)
					if err != nil {
						return nil, err
					}
					n.keys = append(n.keys, &node{kind: nodeScalar, str: ks, line: kline})
					n.vals = append(n.vals, v)
				}
			case '[':
				n.kind = nodeSeq
				for dec.More() {
					v, err := parse(depth + 1)
					if err != nil {
						return nil, err
					}
					n.items = append(n.items, v)
				}
			default:
				return nil, &RulesError{File: name, Line: line, Msg: fmt.Sprintf("invalid JSON: unexpected %q", rune(t))}
			}
			if _, err := dec.Token(); err != nil { // closing delimiter
				return nil, jerr(err)
			}
		case string:
			n.kind, n.str = nodeScalar, t
		case json.Number:
			n.kind, n.typ, n.str = nodeScalar, scalarNumber, t.String()
		case bool:
			n.kind, n.typ, n.str = nodeScalar, scalarBool, strconv.FormatBool(t)
		case nil:
			n.kind = nodeNull
		}
		return n, nil
	}
	root, err := parse(0)
	if err != nil {
		return nil, err
	}
	if line := start(); int(dec.InputOffset()) < len(data) {
		if _, err := dec.Token(); err != io.EOF {
			return nil, &RulesError{File: name, Line: line, Msg: "invalid JSON: data after the top-level object"}
		}
	}
	return root, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func parseYAML(name string, data []byte) (*node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &RulesError{File: name, Line: line, Msg: "invalid YAML: " + m[2]}
		}
		return nil, &RulesError{File: name, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	if doc.Kind == 0 { // empty document
		return &node{kind: nodeNull, line: 1}, nil
	}
	count := 0
	var conv func(y *yaml.Node, depth int) (*node, error)
	conv = func(y *yaml.Node, depth int) (*node, error) {
		count++
		if count > maxRulesNodes {
			return nil, &RulesError{File: name, Line: y.Line, Msg: "too many values (alias expansion?)"}
		}
		if depth > maxRulesDepth {
			return nil, &RulesError{File: name, Line: y.Line, Msg: "nested too deeply"}
		}
		switch y.Kind {
		case yaml.DocumentNode:
			if len(y.Content) == 0 {
				return &node{kind: nodeNull, line: y.Line}, nil
			}
			return conv(y.Content[0], depth)
		case yaml.AliasNode:
			if y.Alias == nil {
				return nil, &RulesError{File: name, Line: y.Line, Msg: "unknown alias"}
			}
			return conv(y.Alias, depth+1)
		case yaml.MappingNode:
			n := &node{kind: nodeMap, line: y.Line}
			for i := 0; i+1 < len(y.Content); i += 2 {
				k, err := conv(y.Content[i], depth+1)
				if err != nil {
					return nil, err
				}
				if k.kind != nodeScalar {
					return nil, &RulesError{File: name, Line: y.Content[i].Line, Msg: "mapping key is not a plain value"}
				}
				v, err := conv(y.Content[i+1], depth+1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.vals = append(n.vals, v)
			}
			return n, nil
		case yaml.SequenceNode:
			n := &node{kind: nodeSeq, line: y.Line}
			for _, c := range y.Content {
				v, err := conv(c, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			return n, nil
		case yaml.ScalarNode:
			n := &node{kind: nodeScalar, str: y.Value, line: y.Line}
			switch y.ShortTag() {
			case "!!null":
				n.kind = nodeNull
			case "!!bool":
				n.typ = scalarBool
			case "!!int", "!!float":
				n.typ = scalarNumber
			case "!!str", "!!binary", "!!timestamp":
			default:
				return nil, &RulesError{File: name, Line: y.Line, Msg: fmt.Sprintf("unsupported YAML tag %s", y.ShortTag())}
			}
			return n, nil
		}
		return nil, &RulesError{File: name, Line: y.Line, Msg: "unsupported YAML node"}
	}
	return conv(&doc, 0)
}
