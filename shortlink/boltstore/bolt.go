package shortlink

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

// BoltOptions configure OpenBolt. The zero value is ready to use.
type BoltOptions struct {
	// Timeout is how long OpenBolt waits for the file lock held by another
	// process. Optional. Default: 2s.
	Timeout time.Duration
	// NoSync skips fsync after each write: faster, loses the last writes
	// on a power failure. Optional. Default: false (durable). For tests.
	NoSync bool
}

// BoltStore is the embedded Store: one bbolt file, one writer at a time,
// any number of readers. It is safe for concurrent use within one process;
// the file lock keeps other processes out.
type BoltStore struct {
	db *bolt.DB
}

var _ Store = (*BoltStore)(nil)

// OpenBolt opens (creating if needed, with its parent directory) the bbolt
// file at path. It fails with CodeUnavailable when another process holds
// the file for longer than opts.Timeout.
func OpenBolt(path string, opts BoltOptions) (*BoltStore, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, wrap(CodeUnavailable, err, "cannot create data directory for %s", path)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, wrap(CodeUnavailable, err, "data file %s is locked by another process", path)
		}
		return nil, wrap(CodeUnavailable, err, "cannot open data file %s", path)
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
		return nil, wrap(CodeUnavailable, err, "cannot initialise data file %s", path)
	}
	return &BoltStore{db: db}, nil
}

// Path returns the file's path.
func (s *BoltStore) Path() string { return s.db.Path() }

// Ping reports whether the file is open.
func (s *BoltStore) Ping(ctx context.Context) error {
	return s.view(ctx, func(tx *bolt.Tx) error { return nil })
}

// Close closes the file.
func (s *BoltStore) Close() error { return s.db.Close() }

func (s *BoltStore) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return wrap(CodeUnavailable, err, "request cancelled")
	}
	return boltErr(s.db.View(fn))
}

func (s *BoltStore) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return wrap(CodeUnavailable, err, "request cancelled")
	}
	return boltErr(s.db.Update(fn))
}

// boltErr passes domain errors through and wraps the rest as unavailable.
func boltErr(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return wrap(CodeUnavailable, err, "embedded store error")
}

func getLink(tx *bolt.Tx, k []byte) (*Link, error) {
	v := tx.Bucket(bucketLinks).Get(k)
	if v == nil {
		return nil, nil
	}
	var l Link
	if err := decodeLink(v, &l); err != nil {
		return nil, wrap(CodeInternal, err, "corrupt link record %q", k)
	}
	return &l, nil
}

func putLink(tx *bolt.Tx, l *Link) error {
	v, err := json.Marshal(l)
	if err != nil {
		return wrap(CodeInternal, err, "cannot encode link")
	}
	return tx.Bucket(bucketLinks).Put([]byte(storeKey(l.Domain, l.Code)), v)
}

// index adds (add=true) or removes l's entries in the tag and campaign indexes.
func index(tx *bolt.Tx, l *Link, add bool) error {
	k := []byte(storeKey(l.Domain, l.Code))
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

// Create implements LinkStore.
func (s *BoltStore) Create(ctx context.Context, l Link) (Link, error) {
	l = l.Clone()
	l.Version = 1
	err := s.update(ctx, func(tx *bolt.Tx) error {
		k := []byte(storeKey(l.Domain, l.Code))
		if tx.Bucket(bucketLinks).Get(k) != nil {
			return Errorf(CodeConflict, "short code %q is already taken", l.Code)
		}
		if err := putLink(tx, &l); err != nil {
			return err
		}
		return index(tx, &l, true)
	})
	if err != nil {
		return Link{}, err
	}
	return l, nil
}

// CreateMany implements LinkStore in one write transaction (one fsync).
// Links are created in order, so of two with the same (Domain, Code) the
// first wins; a conflict fails only its own item. An I/O error fails
// every item not already failed by a conflict (nothing is written).
func (s *BoltStore) CreateMany(ctx context.Context, links []Link) ([]Link, []error) {
	out := make([]Link, len(links))
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
			errs[i] = wrap(CodeInternal, err, "cannot encode link")
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
			k := []byte(storeKey(l.Domain, l.Code))
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
			errs[i], out[i] = err, Link{}
		case conflict[i]:
			errs[i] = Errorf(CodeConflict, "short code %q is already taken", out[i].Code)
			out[i] = Link{}
		}
	}
	return out, errs
}

// Get implements LinkStore.
func (s *BoltStore) Get(ctx context.Context, domain, code string) (Link, error) {
	var out Link
	err := s.view(ctx, func(tx *bolt.Tx) error {
		l, err := getLink(tx, []byte(storeKey(domain, code)))
		if err != nil {
			return err
		}
		if l == nil {
			return Errorf(CodeNotFound, "short link %q not found", code)
		}
		out = *l
		return nil
	})
	return out, err
}

// Update implements LinkStore.
func (s *BoltStore) Update(ctx context.Context, l Link) (Link, error) {
	l = l.Clone()
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getLink(tx, []byte(storeKey(l.Domain, l.Code)))
		if err != nil {
			return err
		}
		if old == nil {
			return Errorf(CodeNotFound, "short link %q not found", l.Code)
		}
		if l.Version != 0 && l.Version != old.Version {
			return Errorf(CodeConflict, "short link %q was changed by someone else (version %d, yours %d); reload and retry", l.Code, old.Version, l.Version)
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
		return Link{}, err
	}
	return l, nil
}

// Delete implements LinkStore.
func (s *BoltStore) Delete(ctx context.Context, domain, code string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		k := []byte(storeKey(domain, code))
		old, err := getLink(tx, k)
		if err != nil {
			return err
		}
		if old == nil {
			return Errorf(CodeNotFound, "short link %q not found", code)
		}
		if err := index(tx, old, false); err != nil {
			return err
		}
		return tx.Bucket(bucketLinks).Delete(k)
	})
}

// Hit implements LinkStore in one write transaction.
func (s *BoltStore) Hit(ctx context.Context, domain, code string, now time.Time) (Link, HitResult, error) {
	var (
		out Link
		res HitResult
	)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		l, err := getLink(tx, []byte(storeKey(domain, code)))
		if err != nil {
			return err
		}
		if l == nil {
			return Errorf(CodeNotFound, "short link %q not found", code)
		}
		res = hitStatus(l, now)
		if res == HitOK {
			l.Clicks++
			if err := putLink(tx, l); err != nil {
				return err
			}
		}
		out = *l
		return nil
	})
	if err != nil {
		return Link{}, 0, err
	}
	return out, res, nil
}

// List implements LinkStore. With a tag or campaign it walks that index,
// otherwise all links; either way in storeKey order from the cursor.
func (s *BoltStore) List(ctx context.Context, f Filter) (Page, error) {
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return Page{}, err
	}
	limit := f.limit()
	var page Page
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
				page.Next = encodeCursor(storeKey(page.Links[limit-1].Domain, page.Links[limit-1].Code))
				return nil
			}
			page.Links = append(page.Links, *l)
		}
		return nil
	})
	if err != nil {
		return Page{}, err
	}
	return page, nil
}

// CreateKey implements KeyStore.
func (s *BoltStore) CreateKey(ctx context.Context, k APIKey) error {
	if k.ID == "" || k.Hash == "" {
		return Errorf(CodeInvalid, "API key needs an ID and a hash (use NewAPIKey)")
	}
	v, err := json.Marshal(k)
	if err != nil {
		return wrap(CodeInternal, err, "cannot encode API key")
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		keys, ids := tx.Bucket(bucketKeys), tx.Bucket(bucketKeyIDs)
		if keys.Get([]byte(k.Hash)) != nil || ids.Get([]byte(k.ID)) != nil {
			return Errorf(CodeConflict, "this API key exists already")
		}
		if err := keys.Put([]byte(k.Hash), v); err != nil {
			return err
		}
		return ids.Put([]byte(k.ID), []byte(k.Hash))
	})
}

func getKey(tx *bolt.Tx, hash []byte) (*APIKey, error) {
	v := tx.Bucket(bucketKeys).Get(hash)
	if v == nil {
		return nil, nil
	}
	var k APIKey
	if err := json.Unmarshal(v, &k); err != nil {
		return nil, wrap(CodeInternal, err, "corrupt API key record")
	}
	return &k, nil
}

// GetKeyByHash implements KeyStore.
func (s *BoltStore) GetKeyByHash(ctx context.Context, hash string) (APIKey, error) {
	var out APIKey
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k, err := getKey(tx, []byte(hash))
		if err != nil {
			return err
		}
		if k == nil {
			return Errorf(CodeNotFound, "API key not found")
		}
		out = *k
		return nil
	})
	return out, err
}

// ListKeys implements KeyStore.
func (s *BoltStore) ListKeys(ctx context.Context) ([]APIKey, error) {
	var out []APIKey
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKeyIDs).ForEach(func(id, hash []byte) error {
			k, err := getKey(tx, hash)
			if err != nil {
				return err
			}
			if k == nil {
				return wrap(CodeInternal, fmt.Errorf("dangling key id %s", id), "corrupt API key index")
			}
			out = append(out, *k)
			return nil
		})
	})
	return out, err
}

// RevokeKey implements KeyStore.
func (s *BoltStore) RevokeKey(ctx context.Context, id string, now time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		hash := tx.Bucket(bucketKeyIDs).Get([]byte(id))
		if hash == nil {
			return Errorf(CodeNotFound, "API key %q not found", id)
		}
		k, err := getKey(tx, hash)
		if err != nil {
			return err
		}
		if k == nil {
			return Errorf(CodeNotFound, "API key %q not found", id)
		}
		if k.RevokedAt != nil {
			return nil
		}
		t := now.UTC()
		k.RevokedAt = &t
		v, err := json.Marshal(k)
		if err != nil {
			return wrap(CodeInternal, err, "cannot encode API key")
		}
		return tx.Bucket(bucketKeys).Put([]byte(k.Hash), v)
	})
}

// HasKeys implements KeyStore.
func (s *BoltStore) HasKeys(ctx context.Context) (bool, error) {
	var has bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketKeyIDs).Cursor().First()
		has = k != nil
		return nil
	})
	return has, err
}
