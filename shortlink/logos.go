package shortlink

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	_ "image/jpeg" // logos may be JPEG
	_ "image/png"  // or PNG
	"sort"
	"strings"
	"time"
)

// Named QR logos: images kept in the store under a short name, that a
// link picks with its qr_logo field (Link.QRLogo) so its QR code carries
// that brand instead of the install-wide --qr-logo.
//
// Deleting a logo is allowed while links name it: those links fall back
// to the install-wide logo (or no logo) until they are given another one.
// Refusing would need a scan of every link on each delete, and a logo is
// decoration, not routing.

// Logo limits.
const (
	// MaxLogoBytes is the largest logo file accepted (256 KiB).
	MaxLogoBytes = 256 << 10
	// MaxLogoPixels bounds each side of a logo image, in pixels; MinLogoPixels
	// is the smallest side that still shows something in a QR pad.
	MaxLogoPixels = 2048
	// MinLogoPixels: see MaxLogoPixels.
	MinLogoPixels = 16
	// MaxLogoNameLen is the longest logo name.
	MaxLogoNameLen = 40
	// MaxLogos is how many logos one install keeps.
	MaxLogos = 200
)

// Logo is a named QR logo. Data is the file as uploaded (PNG or JPEG);
// List leaves it nil.
type Logo struct {
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"` // image/png or image/jpeg
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Bytes       int       `json:"bytes"`
	SHA256      string    `json:"sha256"` // hex of Data
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Data        []byte    `json:"-"`
}

// ID identifies this version of the logo for QR ETags: the name and a
// content hash, so a replaced logo gets new tags.
func (l *Logo) ID() string {
	h := l.SHA256
	if len(h) > 16 {
		h = h[:16]
	}
	return "logo-" + l.Name + "-" + h
}

// LogoStore keeps named logos. Implementations: redisstore and boltstore.
// Safe for concurrent use.
type LogoStore interface {
	// PutLogo creates or replaces the logo l.Name (l from NewLogo, with
	// UpdatedAt set by the caller). CreatedAt is kept from a logo it
	// replaces, else set to UpdatedAt. Errors: CodeInvalid (MaxLogos
	// reached), CodeUnavailable.
	PutLogo(ctx context.Context, l Logo) (Logo, error)
	// GetLogo returns a logo with its Data. Errors: CodeNotFound.
	GetLogo(ctx context.Context, name string) (Logo, error)
	// ListLogos returns every logo, by name, without Data.
	ListLogos(ctx context.Context) ([]Logo, error)
	// DeleteLogo removes a logo. Errors: CodeNotFound.
	DeleteLogo(ctx context.Context, name string) error
}

// CheckLogoName validates a logo name: 1–40 characters of a–z, 0–9, '-',
// '_' and '.', starting with a letter or digit (names appear in URLs and
// file names).
func CheckLogoName(field, name string) error {
	if name == "" {
		return invalidField(field, "a logo name is required")
	}
	if len(name) > MaxLogoNameLen {
		return invalidField(field, "logo name %q is longer than %d characters", name, MaxLogoNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || i > 0 && (c == '-' || c == '_' || c == '.')
		if !ok {
			return invalidField(field, "logo name %q: use lower-case letters, digits, '-', '_' and '.', starting with a letter or digit", name)
		}
	}
	return nil
}

// NewLogo validates an uploaded logo and returns it with its metadata
// (times left zero: the store sets them). data must be a PNG or JPEG of
// at most MaxLogoBytes, each side from MinLogoPixels to MaxLogoPixels; it
// is decoded in full, so a truncated or corrupt file is refused. The
// returned Logo holds a copy of data. Errors: *Error with CodeInvalid or
// CodeTooLarge and a message naming the limit.
func NewLogo(name string, data []byte) (Logo, image.Image, error) {
	if err := CheckLogoName("name", name); err != nil {
		return Logo{}, nil, err
	}
	if len(data) == 0 {
		return Logo{}, nil, invalidField("body", "send the logo file (PNG or JPEG) as the request body")
	}
	if len(data) > MaxLogoBytes {
		return Logo{}, nil, Errorf(CodeTooLarge, "logo is %d bytes; at most %d (256 KiB) are accepted: shrink or recompress it", len(data), MaxLogoBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "png" && format != "jpeg") {
		return Logo{}, nil, invalidField("body", "not a PNG or JPEG image")
	}
	if cfg.Width < MinLogoPixels || cfg.Height < MinLogoPixels || cfg.Width > MaxLogoPixels || cfg.Height > MaxLogoPixels {
		return Logo{}, nil, invalidField("body", "logo is %d×%d pixels; each side must be from %d to %d", cfg.Width, cfg.Height, MinLogoPixels, MaxLogoPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Logo{}, nil, invalidField("body", "the %s image is corrupt or truncated: %v", strings.ToUpper(format), err)
	}
	sum := sha256.Sum256(data)
	return Logo{Name: strings.Clone(name), ContentType: "image/" + format, Width: cfg.Width, Height: cfg.Height,
		Bytes: len(data), SHA256: hex.EncodeToString(sum[:]), Data: bytes.Clone(data)}, img, nil
}

// DecodeLogo decodes a stored logo's image.
func DecodeLogo(l *Logo) (image.Image, error) {
	img, _, err := image.Decode(bytes.NewReader(l.Data))
	if err != nil {
		return nil, wrap(CodeInternal, err, "stored logo %s does not decode", l.Name)
	}
	return img, nil
}

// SortLogos sorts logos by name.
func SortLogos(ls []Logo) {
	sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
}

// ErrNoLogoStore is returned by Service logo methods when the store keeps
// no logos.
var ErrNoLogoStore = &Error{Code: CodeUnavailable, Message: "this store keeps no QR logos"}

// Logos returns the store's LogoStore (the one under a CachedStore: logos
// are not cached there), or nil when it keeps none.
func (s *Service) Logos() LogoStore {
	st := s.store
	if c, ok := st.(*CachedStore); ok {
		st = c.Store
	}
	ls, _ := st.(LogoStore)
	return ls
}

// checkQRLogo refuses a link naming a logo the store does not have
// (CodeInvalid, field qr_logo). known caches names already checked in a
// batch (may be nil).
func (s *Service) checkQRLogo(ctx context.Context, l *Link, known map[string]error) error {
	if l.QRLogo == "" {
		return nil
	}
	if err, ok := known[l.QRLogo]; ok {
		return err
	}
	err := CheckLogoName("qr_logo", l.QRLogo)
	if err == nil {
		ls := s.Logos()
		if ls == nil {
			err = invalidField("qr_logo", "this store keeps no QR logos")
		} else if _, gerr := ls.GetLogo(ctx, l.QRLogo); gerr != nil {
			if ErrorCode(gerr) == CodeNotFound {
				err = invalidField("qr_logo", "no logo named %q: upload it first (PUT /api/v1/logos/%s, or hutong logos add %s FILE)", l.QRLogo, l.QRLogo, l.QRLogo)
			} else {
				err = gerr
			}
		}
	}
	if known != nil {
		known[l.QRLogo] = err
	}
	return err
}
