package route

import "sync/atomic"

// Holder holds the current Table and swaps it atomically on Reload, so
// requests in flight keep the table they started with. The zero Holder
// holds no table (Load returns nil) until Store or a successful Reload.
// A Holder is safe for concurrent use; it must not be copied after use.
type Holder struct {
	cur  atomic.Pointer[Table]
	opts []Option
}

// NewHolder returns a Holder holding t. opts are used by every Reload.
func NewHolder(t *Table, opts ...Option) *Holder {
	h := &Holder{opts: opts}
	h.cur.Store(t)
	return h
}

// Load returns the current table.
func (h *Holder) Load() *Table { return h.cur.Load() }

// Store replaces the current table with t.
func (h *Holder) Store(t *Table) { h.cur.Store(t) }

// Reload loads the rules file at path (LoadFile) and, only when it is
// valid, makes it the current table. On error the current table stays in
// place and the error (naming the file and line) is returned for the
// caller to log.
func (h *Holder) Reload(path string) error {
	t, err := LoadFile(path, h.opts...)
	if err != nil {
		return err
	}
	h.cur.Store(t)
	return nil
}
