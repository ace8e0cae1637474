// Package csvcell keeps the text cells hutong writes to CSV from being
// read as formulas by a spreadsheet app (OWASP "CSV Injection"): Text
// prefixes a single quote to a cell that starts with '=', '+', '-', '@',
// a tab or a carriage return. Every CSV writer of the service (links,
// stats, click events, bulk import answers) passes its text columns
// through Text and writes its number columns as they are. Pure functions,
// safe for concurrent use; standard library only.
package csvcell

// Text is s as a CSV text cell: s itself, or "'" + s when s starts with a
// character a spreadsheet reads as the start of a formula (= + - @ TAB
// CR). Excel, LibreOffice and Numbers hide the quote and
// show the cell as the text s; a program reading the file gets the quote
// too. It does not allocate when s needs no quote.
func Text(s string) string {
	if NeedsQuote(s) {
		return "'" + s
	}
	return s
}

// NeedsQuote reports whether s starts with a formula character (= + - @
// TAB CR), the cells Text prefixes.
func NeedsQuote(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}
