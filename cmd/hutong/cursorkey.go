package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// cursorSecretKey is the Redis key of the generated list-cursor secret.
const cursorSecretKey = "hutong:{cursor}:secret"

// cursorFile is the embedded store's generated list-cursor secret, in --data.
const cursorFile = "cursor.key"

// cursorKey returns the key that signs list cursors: --cursor-secret when
// set, else a random secret generated once and kept in the store, so every
// instance on one store signs and checks cursors alike without
// configuration (a cursor handed out by one instance behind a load
// balancer is good on the next). On Redis the first instance sets the key
// (SET NX) and the others read it; on the embedded store it is a file in
// --data (one process holds a bbolt file, but restarts keep cursors good).
// When Redis cannot be read at start, the instance signs with a random key
// of its own and says so: its cursors are refused elsewhere until it is
// restarted with Redis up (or set --cursor-secret).
func (m *Main) cursorKey(ctx context.Context) []byte {
	if m.Config.CursorSecret != "" {
		return []byte(m.Config.CursorSecret)
	}
	fresh := make([]byte, 32)
	_, _ = rand.Read(fresh)
	secret := hex.EncodeToString(fresh)
	if m.rdb != nil {
		var got string
		var err error
		for try := 0; try < 3; try++ {
			if try > 0 {
				time.Sleep(200 * time.Millisecond)
			}
			// SETNX then GET: the value never changes once set, so the
			// first instance's secret is what every instance reads.
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if err = m.rdb.SetNX(cctx, cursorSecretKey, secret, 0).Err(); err == nil {
				got, err = m.rdb.Get(cctx, cursorSecretKey).Result()
			}
			cancel()
			if err == nil && len(got) >= 16 {
				return []byte(got)
			} else if err == nil {
				err = fmt.Errorf("%s holds %d characters; want at least 16 (delete the key to make a new one)", cursorSecretKey, len(got))
				break
			}
		}
		m.Logger.Warn("list cursors are signed with a key of this process: Redis could not be read at start, so cursors it hands out are refused by other instances (set --cursor-secret to share one)", "err", err)
		return []byte(secret)
	}
	key, err := fileSecret(filepath.Join(m.Config.Data, cursorFile), secret)
	if err != nil {
		m.Logger.Warn("list cursors are signed with a key of this process (cursors do not survive a restart)", "err", err)
		return []byte(secret)
	}
	return key
}

// fileSecret returns the secret in path, writing secret there (0600) first
// when the file does not exist.
func fileSecret(path, secret string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, werr := f.WriteString(secret + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return nil, werr
		}
		return []byte(secret), nil
	}
	if !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(b))
	if len(s) < 16 {
		return nil, fmt.Errorf("%s: a secret of %d characters; want at least 16 (delete the file to make a new one)", path, len(s))
	}
	return []byte(s), nil
}
