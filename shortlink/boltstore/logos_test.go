package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/hutong-dev/hutong/shortlink/storetest"
)

func TestBoltLogos(t *testing.T) {
	storetest.RunLogos(t, func(t *testing.T) storetest.LogoStore {
		return openBolt(t, filepath.Join(t.TempDir(), "links.db"))
	})
}
