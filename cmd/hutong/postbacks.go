package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	_ "image/jpeg" // --qr-logo may be a JPEG
	_ "image/png"
	"os"
	"time"

	"github.com/hutong-dev/hutong/internal/postback"
)

// postbackFile is the format of --postbacks FILE:
//
//	{
//	  "allowed_hosts": [".e.qq.com", "ad.oceanengine.com"],
//	  "max_attempts": 8,
//	  "postbacks": [
//	    {"name": "tencent", "kind": "tencent"},
//	    {"name": "crm", "kind": "webhook", "url": "https://crm.example.com/hook?click={click_id}",
//	     "secret": "…", "campaigns": ["double11"]}
//	  ]
//	}
type postbackFile struct {
	AllowedHosts []string `json:"allowed_hosts"`
	MaxAttempts  int      `json:"max_attempts"`
	BaseBackoff  string   `json:"base_backoff"`
	Postbacks    []struct {
		Name      string   `json:"name"`
		Kind      string   `json:"kind"`
		URL       string   `json:"url"`
		Method    string   `json:"method"`
		Secret    string   `json:"secret"`
		Codes     []string `json:"codes"`
		Campaigns []string `json:"campaigns"`
	} `json:"postbacks"`
}

func loadPostbacks(path string) (postback.Config, error) {
	var cfg postback.Config
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("--postbacks: %w", err)
	}
	var f postbackFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return cfg, fmt.Errorf("--postbacks %s: %w", path, err)
	}
	cfg.AllowedHosts, cfg.MaxAttempts = f.AllowedHosts, f.MaxAttempts
	if f.BaseBackoff != "" {
		if cfg.BaseBackoff, err = time.ParseDuration(f.BaseBackoff); err != nil {
			return cfg, fmt.Errorf("--postbacks %s: base_backoff %q: %w", path, f.BaseBackoff, err)
		}
	}
	for _, p := range f.Postbacks {
		cfg.Postbacks = append(cfg.Postbacks, postback.Postback{Name: p.Name, Kind: p.Kind, URL: p.URL,
			Method: p.Method, Secret: p.Secret, Codes: p.Codes, Campaigns: p.Campaigns})
	}
	if len(cfg.Postbacks) == 0 {
		return cfg, fmt.Errorf("--postbacks %s: no postbacks listed", path)
	}
	return cfg, nil
}

func loadLogo(path string) (image.Image, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("--qr-logo: %w", err)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, "", fmt.Errorf("--qr-logo %s: not a PNG or JPEG image: %w", path, err)
	}
	return img, fmt.Sprintf("file-%d-%08x", len(b), crc32.ChecksumIEEE(b)), nil
}
