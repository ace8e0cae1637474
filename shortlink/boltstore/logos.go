package boltstore

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/hutong-dev/hutong/shortlink"
)

var _ shortlink.LogoStore = (*Store)(nil)

// Buckets of named QR logos, created on the first PutLogo: logo_meta holds
// name → Logo JSON (no data), logo_data name → the file, so ListLogos reads
// no image bytes.
var (
	bucketLogoMeta = []byte("logo_meta")
	bucketLogoData = []byte("logo_data")
)

var errNoLogo = func(name string) error {
	return shortlink.Errorf(shortlink.CodeNotFound, "no logo named %q", name)
}

// PutLogo implements shortlink.LogoStore (one transaction).
func (s *Store) PutLogo(ctx context.Context, l shortlink.Logo) (shortlink.Logo, error) {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketLogoMeta)
		if err != nil {
			return err
		}
		data, err := tx.CreateBucketIfNotExists(bucketLogoData)
		if err != nil {
			return err
		}
		l.CreatedAt = l.UpdatedAt
		if v := meta.Get([]byte(l.Name)); v != nil {
			var old shortlink.Logo
			if json.Unmarshal(v, &old) == nil && !old.CreatedAt.IsZero() {
				l.CreatedAt = old.CreatedAt
			}
		} else if meta.Stats().KeyN >= shortlink.MaxLogos {
			return shortlink.Errorf(shortlink.CodeInvalid, "this install keeps at most %d logos: delete one first", shortlink.MaxLogos)
		}
		v, err := json.Marshal(l)
		if err != nil {
			return err
		}
		if err := meta.Put([]byte(l.Name), v); err != nil {
			return err
		}
		return data.Put([]byte(l.Name), l.Data)
	})
	return l, err
}

// GetLogo implements shortlink.LogoStore.
func (s *Store) GetLogo(ctx context.Context, name string) (shortlink.Logo, error) {
	var l shortlink.Logo
	err := s.view(ctx, func(tx *bolt.Tx) error {
		meta, data := tx.Bucket(bucketLogoMeta), tx.Bucket(bucketLogoData)
		if meta == nil || data == nil {
			return errNoLogo(name)
		}
		v := meta.Get([]byte(name))
		if v == nil {
			return errNoLogo(name)
		}
		if err := json.Unmarshal(v, &l); err != nil {
			return wrap(shortlink.CodeInternal, err, "corrupt logo record %q", name)
		}
		l.Data = append([]byte(nil), data.Get([]byte(name))...) // bbolt memory is only valid in the tx
		return nil
	})
	return l, err
}

// ListLogos implements shortlink.LogoStore.
func (s *Store) ListLogos(ctx context.Context) ([]shortlink.Logo, error) {
	out := []shortlink.Logo{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketLogoMeta)
		if meta == nil {
			return nil
		}
		return meta.ForEach(func(k, v []byte) error {
			var l shortlink.Logo
			if err := json.Unmarshal(v, &l); err != nil {
				return wrap(shortlink.CodeInternal, err, "corrupt logo record %q", k)
			}
			out = append(out, l)
			return nil
		})
	})
	shortlink.SortLogos(out)
	return out, err
}

// DeleteLogo implements shortlink.LogoStore.
func (s *Store) DeleteLogo(ctx context.Context, name string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		meta, data := tx.Bucket(bucketLogoMeta), tx.Bucket(bucketLogoData)
		if meta == nil || meta.Get([]byte(name)) == nil {
			return errNoLogo(name)
		}
		if err := meta.Delete([]byte(name)); err != nil {
			return err
		}
		return data.Delete([]byte(name))
	})
}
