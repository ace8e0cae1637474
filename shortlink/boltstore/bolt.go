// Package boltstore is the embedded shortlink.Store: links, API keys and
// domain records in one bbolt file (Open), the default store of
// `hutong serve`. It passes the contract suite in shortlink/storetest. A
// Store is safe for concurrent use within one process; the file lock keeps
// other processes out. This is the only link-store package that imports
// bbolt: shortlink itself does not.
package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/hutong-dev/hutong/shortlink"
)

// Bucket layout of the bbolt file:
//
//	links                 storeKey(domain, code) → Link JSON (Clicks included)
//	tags/<tag>            storeKey → ""   (one nested bucket per tag)
//	campaigns/<campaign>  storeKey → ""   (one nested bucket per campaign)
//	keys                  hash → APIKey JSON
//	key_ids               id → hash
var (
	bucketLinks     = []byte("links")
	bucketTags      = []byte("tags")
	bucketCampaigns = []byte("campaigns")
	bucketKeys      = []byte("keys")
	bucketKeyIDs    = []byte("key_ids")
)

// Options configure Open. The zero value is ready to use.
type Options struct {
	// Timeout is how long Open waits for the file lock held by another
	// process. Optional. Default: 2s.
	Timeout time.Duration
	// NoSync skips fsync after each write: faster, loses the last writes
	// on a power failure. Optional. Default: false (durable). For tests.
	NoSync bool
}

// Store is the embedded shortlink.Store: one bbolt file, one writer at a time,
// any number of readers. It is safe for concurrent use within one process;
// the file lock keeps other processes out.
type Store struct {
	db *bolt.DB
}

var _ shortlink.Store = (*Store)(nil)

// Open opens (creating if needed, with its parent directory) the bbolt
// file at path. It fails with CodeUnavailable when another process holds
// the file for longer than opts.Timeout.
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, wrap(shortlink.CodeUnavailable, err, "cannot create data directory for %s", path)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, wrap(shortlink.CodeUnavailable, err, "data file %s is locked by another process", path)
		}
		return nil, wrap(shortlink.CodeUnavailable, err, "cannot open data file %s", path)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketLinks, bucketTags, bucketCampaigns, bucketKeys, bucketKeyIDs} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, wrap(shortlink.CodeUnavailable, err, "cannot initialise data file %s", path)
	}
	return &Store{db: db}, nil
}

// Path returns the file's path.
func (s *Store) Path() string { return s.db.Path() }

// Ping reports whether the file is open.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(ctx, func(tx *bolt.Tx) error { return nil })
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return wrap(shortlink.CodeUnavailable, err, "request cancelled")
	}
	return boltErr(s.db.View(fn))
}

func (s *Store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return wrap(shortlink.CodeUnavailable, err, "request cancelled")
	}
	return boltErr(s.db.Update(fn))
}

// wrap returns a shortlink error with code and message around the cause err.
func wrap(code string, err error, format string, args ...any) *shortlink.Error {
	return &shortlink.Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// boltErr passes domain errors through and wraps the rest as unavailable.
func boltErr(err error) error {
	if err == nil {
		return nil
	}
	var e *shortlink.Error
	if errors.As(err, &e) {
		return err
	}
	return wrap(shortlink.CodeUnavailable, err, "embedded store error")
}

func getLink(tx *bolt.Tx, k []byte) (*shortlink.Link, error) {
	v := tx.Bucket(bucketLinks).Get(k)
	if v == nil {
		return nil, nil
	}
	var l shortlink.Link
	if err := shortlink.DecodeLink(v, &l); err != nil {
		return nil, wrap(shortlink.CodeInternal, err, "corrupt link record %q", k)
	}
	return &l, nil
}

func putLink(tx *bolt.Tx, l *shortlink.Link) error {
	v, err := json.Marshal(l)
	if err != nil {
		return wrap(shortlink.CodeInternal, err, "cannot encode link")
	}
	return tx.Bucket(bucketLinks).Put([]byte(shortlink.StoreKey(l.Domain, l.Code)), v)
}

// index adds (add=true) or removes l's entries in the tag and campaign indexes.
func index(tx *bolt.Tx, l *shortlink.Link, add bool) error {
	k := []byte(shortlink.StoreKey(l.Domain, l.Code))
	do := func(parent []byte, name string) error {
		if name == "" {
			return nil
		}
		p := tx.Bucket(parent)
		if add {
			b, err := p.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				return err
			}
			return b.Put(k, nil)
		}
		b := p.Bucket([]byte(name))
		if b == nil {
			return nil
		}
		if err := b.Delete(k); err != nil {
			return err
		}
		if first, _ := b.Cursor().First(); first == nil {
			return p.DeleteBucket([]byte(name)) // keep the file tidy
		}
		return nil
	}
	for _, t := range l.Tags {
		if err := do(bucketTags, t); err != nil {
			return err
		}
	}
	return do(bucketCampaigns, l.Campaign)
}

// Create implements shortlink.LinkStore.
func (s *Store) Create(ctx context.Context, l shortlink.Link) (shortlink.Link, error) {
	l = l.Clone()
	l.Version = 1
	err := s.update(ctx, func(tx *bolt.Tx) error {
		k := []byte(shortlink.StoreKey(l.Domain, l.Code))
		if tx.Bucket(bucketLinks).Get(k) != nil {
			return shortlink.Errorf(shortlink.CodeConflict, "short code %q is already taken", l.Code)
		}
		if err := putLink(tx, &l); err != nil {
			return err
		}
		return index(tx, &l, true)
	})
	if err != nil {
		return shortlink.Link{}, err
	}
	return l, nil
}

// CreateMany implements shortlink.LinkStore in one write transaction (one fsync).
// Links are created in order, so of two with the same (Domain, Code) the
// first wins; a conflict fails only its own item. An I/O error fails
// every item not already failed by a conflict (nothing is written).
func (s *Store) CreateMany(ctx context.Context, links []shortlink.Link) ([]shortlink.Link, []error) {
	out := make([]shortlink.Link, len(links))
	errs := make([]error, len(links))
	if len(links) == 0 {
		return out, errs
	}
	vals := make([][]byte, len(links))
	for i := range links {
		l := links[i].Clone()
		l.Version = 1
		v, err := json.Marshal(&l)
		if err != nil {
			errs[i] = wrap(shortlink.CodeInternal, err, "cannot encode link")
			continue
		}
		out[i], vals[i] = l, v
	}
	conflict := make([]bool, len(links))
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLinks)
		for i := range out {
			if vals[i] == nil {
				continue
			}
			l := &out[i]
			k := []byte(shortlink.StoreKey(l.Domain, l.Code))
			if b.Get(k) != nil {
				conflict[i] = true
				continue
			}
			if err := b.Put(k, vals[i]); err != nil {
				return err
			}
			if err := index(tx, l, true); err != nil {
				return err
			}
		}
		return nil
	})
	for i := range out {
		switch {
		case errs[i] != nil:
		case err != nil:
			errs[i], out[i] = err, shortlink.Link{}
		case conflict[i]:
			errs[i] = shortlink.Errorf(shortlink.CodeConflict, "short code %q is already taken", out[i].Code)
			out[i] = shortlink.Link{}
		}
	}
	return out, errs
}

// Get implements shortlink.LinkStore.
func (s *Store) Get(ctx context.Context, domain, code string) (shortlink.Link, error) {
	var out shortlink.Link
	err := s.view(ctx, func(tx *bolt.Tx) error {
		l, err := getLink(tx, []byte(shortlink.StoreKey(domain, code)))
		if err != nil {
			return err
		}
		if l == nil {
			return shortlink.Errorf(shortlink.CodeNotFound, "short link %q not found", code)
		}
		out = *l
		return nil
	})
	return out, err
}

// Update implements shortlink.LinkStore.
func (s *Store) Update(ctx context.Context, l shortlink.Link) (shortlink.Link, error) {
	l = l.Clone()
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getLink(tx, []byte(shortlink.StoreKey(l.Domain, l.Code)))
		if err != nil {
			return err
		}
		if old == nil {
			return shortlink.Errorf(shortlink.CodeNotFound, "short link %q not found", l.Code)
		}
		if l.Version != 0 && l.Version != old.Version {
			return shortlink.Errorf(shortlink.CodeConflict, "short link %q was changed by someone else (version %d, yours %d); reload and retry", l.Code, old.Version, l.Version)
		}
		l.CreatedAt, l.Clicks, l.Version = old.CreatedAt, old.Clicks, old.Version+1
		if err := index(tx, old, false); err != nil {
			return err
		}
		if err := putLink(tx, &l); err != nil {
			return err
		}
		return index(tx, &l, true)
	})
	if err != nil {
		return shortlink.Link{}, err
	}
	return l, nil
}

// Delete implements shortlink.LinkStore.
func (s *Store) Delete(ctx context.Context, domain, code string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		k := []byte(shortlink.StoreKey(domain, code))
		old, err := getLink(tx, k)
		if err != nil {
			return err
		}
		if old == nil {
			return shortlink.Errorf(shortlink.CodeNotFound, "short link %q not found", code)
		}
		if err := index(tx, old, false); err != nil {
			return err
		}
		return tx.Bucket(bucketLinks).Delete(k)
	})
}

// Hit implements shortlink.LinkStore in one write transaction.
func (s *Store) Hit(ctx context.Context, domain, code string, now time.Time) (shortlink.Link, shortlink.HitResult, error) {
	var (
		out shortlink.Link
		res shortlink.HitResult
	)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		l, err := getLink(tx, []byte(shortlink.StoreKey(domain, code)))
		if err != nil {
			return err
		}
		if l == nil {
			return shortlink.Errorf(shortlink.CodeNotFound, "short link %q not found", code)
		}
		res = shortlink.HitStatus(l, now)
		if res == shortlink.HitOK {
			l.Clicks++
			if err := putLink(tx, l); err != nil {
				return err
			}
		}
		out = *l
		return nil
	})
	if err != nil {
		return shortlink.Link{}, 0, err
	}
	return out, res, nil
}

// List implements shortlink.LinkStore. With a tag or campaign it walks that index,
// otherwise all links; either way in storeKey order from the cursor.
func (s *Store) List(ctx context.Context, f shortlink.Filter) (shortlink.Page, error) {
	after, err := shortlink.DecodeCursor(f.Cursor)
	if err != nil {
		return shortlink.Page{}, err
	}
	limit := f.PageLimit()
	var page shortlink.Page
	err = s.view(ctx, func(tx *bolt.Tx) error {
		links := tx.Bucket(bucketLinks)
		src := links
		switch {
		case f.Tag != "":
			src = tx.Bucket(bucketTags).Bucket([]byte(f.Tag))
		case f.Campaign != "":
			src = tx.Bucket(bucketCampaigns).Bucket([]byte(f.Campaign))
		}
		if src == nil {
			return nil
		}
		start := []byte(after)
		var prefix []byte
		if f.Domain != "" {
			prefix = []byte(f.Domain + "\x00")
			if bytes.Compare(start, prefix) < 0 {
				start = prefix
			}
		}
		c := src.Cursor()
		k, _ := c.Seek(start)
		if after != "" && k != nil && string(k) == after {
			k, _ = c.Next()
		}
		for ; k != nil; k, _ = c.Next() {
			if prefix != nil && !bytes.HasPrefix(k, prefix) {
				break
			}
			l, err := getLink(tx, k)
			if err != nil {
				return err
			}
			if l == nil || !f.Match(l) {
				continue
			}
			if len(page.Links) == limit {
				page.Next = shortlink.EncodeCursor(shortlink.StoreKey(page.Links[limit-1].Domain, page.Links[limit-1].Code))
				return nil
			}
			page.Links = append(page.Links, *l)
		}
		return nil
	})
	if err != nil {
		return shortlink.Page{}, err
	}
	return page, nil
}

// CreateKey implements shortlink.KeyStore.
func (s *Store) CreateKey(ctx context.Context, k shortlink.APIKey) error {
	if k.ID == "" || k.Hash == "" {
		return shortlink.Errorf(shortlink.CodeInvalid, "API key needs an ID and a hash (use NewAPIKey)")
	}
	v, err := json.Marshal(k)
	if err != nil {
		return wrap(shortlink.CodeInternal, err, "cannot encode API key")
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		keys, ids := tx.Bucket(bucketKeys), tx.Bucket(bucketKeyIDs)
		if keys.Get([]byte(k.Hash)) != nil || ids.Get([]byte(k.ID)) != nil {
			return shortlink.Errorf(shortlink.CodeConflict, "this API key exists already")
		}
		if err := keys.Put([]byte(k.Hash), v); err != nil {
			return err
		}
		return ids.Put([]byte(k.ID), []byte(k.Hash))
	})
}

func getKey(tx *bolt.Tx, hash []byte) (*shortlink.APIKey, error) {
	v := tx.Bucket(bucketKeys).Get(hash)
	if v == nil {
		return nil, nil
	}
	var k shortlink.APIKey
	if err := json.Unmarshal(v, &k); err != nil {
		return nil, wrap(shortlink.CodeInternal, err, "corrupt API key record")
	}
	return &k, nil
}

// GetKeyByHash implements shortlink.KeyStore.
func (s *Store) GetKeyByHash(ctx context.Context, hash string) (shortlink.APIKey, error) {
	var out shortlink.APIKey
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k, err := getKey(tx, []byte(hash))
		if err != nil {
			return err
		}
		if k == nil {
			return shortlink.Errorf(shortlink.CodeNotFound, "API key not found")
		}
		out = *k
		return nil
	})
	return out, err
}

// ListKeys implements shortlink.KeyStore.
func (s *Store) ListKeys(ctx context.Context) ([]shortlink.APIKey, error) {
	var out []shortlink.APIKey
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKeyIDs).ForEach(func(id, hash []byte) error {
			k, err := getKey(tx, hash)
			if err != nil {
				return err
			}
			if k == nil {
				return wrap(shortlink.CodeInternal, fmt.Errorf("dangling key id %s", id), "corrupt API key index")
			}
			out = append(out, *k)
			return nil
		})
	})
	return out, err
}

// RevokeKey implements shortlink.KeyStore.
func (s *Store) RevokeKey(ctx context.Context, id string, now time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		hash := tx.Bucket(bucketKeyIDs).Get([]byte(id))
		if hash == nil {
			return shortlink.Errorf(shortlink.CodeNotFound, "API key %q not found", id)
		}
		k, err := getKey(tx, hash)
		if err != nil {
			return err
		}
		if k == nil {
			return shortlink.Errorf(shortlink.CodeNotFound, "API key %q not found", id)
		}
		if k.RevokedAt != nil {
			return nil
		}
		t := now.UTC()
		k.RevokedAt = &t
		v, err := json.Marshal(k)
		if err != nil {
			return wrap(shortlink.CodeInternal, err, "cannot encode API key")
		}
		return tx.Bucket(bucketKeys).Put([]byte(k.Hash), v)
	})
}

// HasKeys implements shortlink.KeyStore.
func (s *Store) HasKeys(ctx context.Context) (bool, error) {
	var has bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketKeyIDs).Cursor().First()
		has = k != nil
		return nil
	})
	return has, err
}
