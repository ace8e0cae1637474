package redisconn_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hutong-dev/hutong/internal/redisconn"
	"github.com/hutong-dev/hutong/internal/testredis"
)

func TestOptions(t *testing.T) {
	tests := []struct {
		name                     string
		url                      string
		addrs                    []string
		db                       int
		user, pass               string
		master                   string
		sentinelPass             string
		cluster, tls, skipVerify bool
		poolSize                 int
		readTimeout              time.Duration
	}{
		{name: "single", url: "redis://localhost:6379/0", addrs: []string{"localhost:6379"}},
		{name: "default port, no db", url: "redis://cache", addrs: []string{"cache:6379"}},
		{name: "db", url: "redis://10.0.0.1:6380/3", addrs: []string{"10.0.0.1:6380"}, db: 3},
		{name: "password only", url: "redis://:s%40cret@h:6379/1", addrs: []string{"h:6379"}, db: 1, pass: "s@cret"},
		{name: "user and password", url: "redis://app:pw@h:6379", addrs: []string{"h:6379"}, user: "app", pass: "pw"},
		{name: "ipv6", url: "redis://[::1]:6379", addrs: []string{"[::1]:6379"}},
		{name: "tls", url: "rediss://h.example.com:6380", addrs: []string{"h.example.com:6380"}, tls: true},
		{name: "tls skip verify", url: "rediss://h:6380?skip_verify=true", addrs: []string{"h:6380"}, tls: true, skipVerify: true},
		{name: "several hosts", url: "redis://h1:6379,h2:6379", addrs: []string{"h1:6379", "h2:6379"}},
		{name: "sentinel path", url: "redis+sentinel://pw@s1:26379,s2:26379/mymaster/2", addrs: []string{"s1:26379", "s2:26379"}, db: 2, pass: "pw", master: "mymaster"},
		{name: "sentinel query", url: "redis+sentinel://s1,s2?master=mm&db=4&sentinel_password=sp", addrs: []string{"s1:26379", "s2:26379"}, db: 4, master: "mm", sentinelPass: "sp"},
		{name: "sentinel tls", url: "rediss+sentinel://s1:26379/mm", addrs: []string{"s1:26379"}, master: "mm", tls: true},
		{name: "cluster", url: "redis+cluster://h1:7000,h2:7001", addrs: []string{"h1:7000", "h2:7001"}, cluster: true},
		{name: "cluster addr param", url: "redis+cluster://h1:7000?addr=h2:7001&addr=h3:7002", addrs: []string{"h1:7000", "h2:7001", "h3:7002"}, cluster: true},
		{name: "cluster single address", url: "redis+cluster://cfg.example.com:6379", addrs: []string{"cfg.example.com:6379"}, cluster: true},
		{name: "cluster tls", url: "rediss+cluster://h1:7000", addrs: []string{"h1:7000"}, cluster: true, tls: true},
		{name: "tuning", url: "redis://h?pool_size=99&read_timeout=250ms", addrs: []string{"h:6379"}, poolSize: 99, readTimeout: 250 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := redisconn.Options(tc.url, redisconn.Config{})
			if err != nil {
				t.Fatalf("Options(%q): %v", tc.url, err)
			}
			addrs := slices.Clone(o.Addrs)
			slices.Sort(addrs)
			if !slices.Equal(addrs, tc.addrs) {
				t.Errorf("Addrs = %v; want %v", o.Addrs, tc.addrs)
			}
			if o.DB != tc.db || o.Username != tc.user || o.Password != tc.pass || o.MasterName != tc.master ||
				o.SentinelPassword != tc.sentinelPass || o.IsClusterMode != tc.cluster {
				t.Errorf("got db %d user %q pass %q master %q sentinelPass %q cluster %v; want %d %q %q %q %q %v",
					o.DB, o.Username, o.Password, o.MasterName, o.SentinelPassword, o.IsClusterMode,
					tc.db, tc.user, tc.pass, tc.master, tc.sentinelPass, tc.cluster)
			}
			if (o.TLSConfig != nil) != tc.tls {
				t.Errorf("TLS = %v; want %v", o.TLSConfig != nil, tc.tls)
			}
			if tc.tls && (o.TLSConfig.InsecureSkipVerify != tc.skipVerify || o.TLSConfig.ServerName == "") {
				t.Errorf("TLS config = %+v", o.TLSConfig)
			}
			if !o.ContextTimeoutEnabled {
				t.Error("ContextTimeoutEnabled = false")
			}
			wantPool, wantRead := redisconn.DefaultPoolSize, redisconn.DefaultReadTimeout
			if tc.poolSize != 0 {
				wantPool = tc.poolSize
			}
			if tc.readTimeout != 0 {
				wantRead = tc.readTimeout
			}
			if o.PoolSize != wantPool || o.ReadTimeout != wantRead || o.MinIdleConns != redisconn.DefaultMinIdleConns ||
				o.DialTimeout != redisconn.DefaultDialTimeout || o.WriteTimeout != redisconn.DefaultWriteTimeout || o.PoolTimeout != redisconn.DefaultPoolTimeout {
				t.Errorf("pool/timeouts = %d %v %d %v %v %v", o.PoolSize, o.ReadTimeout, o.MinIdleConns, o.DialTimeout, o.WriteTimeout, o.PoolTimeout)
			}
		})
	}
}

func TestOptionsConfig(t *testing.T) {
	o, err := redisconn.Options("redis://h?pool_size=7", redisconn.Config{PoolSize: 64, MinIdleConns: 9, DialTimeout: time.Second, ClientName: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if o.PoolSize != 7 || o.MinIdleConns != 9 || o.DialTimeout != time.Second || o.ClientName != "x" {
		t.Errorf("got pool %d idle %d dial %v name %q; want 7 (URL wins), 9, 1s, x", o.PoolSize, o.MinIdleConns, o.DialTimeout, o.ClientName)
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, u := range []string{
		"localhost:6379",
		"http://h:6379",
		"redis://",
		"redis://h:99999",
		"redis://h/notadb",
		"redis://h/1/2",
		"redis://h?bogus=1",
		"redis://h?pool_size=x",
		"redis://h?master=m",
		"redis+sentinel://s1:26379",
		"redis+cluster://h1:7000/2",
		"redis://:secretpw@h?read_timeout=forever",
		"redis+cluster://h1:7000?cluster_reload=0s",
		"redis+cluster://h1:7000?cluster_reload=soon",
	} {
		_, err := redisconn.Options(u, redisconn.Config{})
		if err == nil {
			t.Errorf("Options(%q): no error", u)
			continue
		}
		if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("Options(%q): error leaks the password: %v", u, err)
		}
	}
}

func TestNewPing(t *testing.T) {
	rdb, err := redisconn.New(testredis.URL(t), redisconn.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
