package qr

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image"
)

// renderVersion is mixed into every ETag. Bump it whenever the bytes
// rendered for the same input change (drawing code, encoder or go-qrcode
// upgrade), so caches and browsers do not keep stale images.
const renderVersion = 1

// ETag returns a strong HTTP entity tag (quoted, e.g. "\"qr1-3f…\"") for the
// QR code of text drawn with o, without rendering it. It hashes the text, the
// options after defaults are applied (so Options{} and Options{Size: 256}
// agree), the frame and caption, and the logo identity: Options.LogoID when set, otherwise the logo's
// pixels. Different inputs may still render identical bytes; equal ETags
// always mean identical output.
//
// The tag does not distinguish PNG from SVG: serve the two formats at
// different URLs (as /qr.png and /qr.svg), or add the format to the tag when
// one URL negotiates it. ETag does not validate o; an invalid o simply gets a
// tag for a request that PNG and SVG will reject.
func ETag(text string, o Options) string {
	s := o.normalized()
	h := sha256.New()
	var hdr [48]byte
	b := hdr[:0]
	b = append(b, "hutong-qr"...)
	b = append(b, renderVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(s.size))
	b = append(b, byte(s.level))
	b = binary.BigEndian.AppendUint32(b, uint32(int32(s.margin)))
	b = append(b, s.fg.R, s.fg.G, s.fg.B, s.bg.R, s.bg.G, s.bg.B)
	if s.frame {
		// Only framed codes carry this block, so the tags of codes without
		// one are unchanged. 'F' never starts len(text) (its top byte is 0).
		b = append(b, 'F')
		b = binary.BigEndian.AppendUint32(b, uint32(len(s.caption)))
	}
	b = binary.BigEndian.AppendUint64(b, uint64(len(text)))
	h.Write(b)
	h.Write([]byte(text))
	if s.frame {
		h.Write([]byte(s.caption))
	}
	switch {
	case s.logo == nil:
		h.Write([]byte{0})
	case s.logoID != "":
		h.Write([]byte{1})
		h.Write([]byte(s.logoID))
	default:
		h.Write([]byte{2})
		hashImage(h, s.logo)
	}
	var sum [sha256.Size]byte
	out := make([]byte, 0, 40)
	out = append(out, `"qr1-`...)
	out = hex.AppendEncode(out, h.Sum(sum[:0])[:16])
	out = append(out, '"')
	return string(out)
}

// hashImage writes the bounds and the 16-bit premultiplied pixels of img.
func hashImage(h interface{ Write([]byte) (int, error) }, img image.Image) {
	r := img.Bounds()
	var row []byte
	row = binary.BigEndian.AppendUint64(row, uint64(int64(r.Dx())))
	row = binary.BigEndian.AppendUint64(row, uint64(int64(r.Dy())))
	h.Write(row)
	rgba, fast := img.(image.RGBA64Image)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row = row[:0]
		for x := r.Min.X; x < r.Max.X; x++ {
			var cr, cg, cb, ca uint32
			if fast {
				c := rgba.RGBA64At(x, y)
				cr, cg, cb, ca = uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A)
			} else {
				cr, cg, cb, ca = img.At(x, y).RGBA()
			}
			row = binary.BigEndian.AppendUint16(row, uint16(cr))
			row = binary.BigEndian.AppendUint16(row, uint16(cg))
			row = binary.BigEndian.AppendUint16(row, uint16(cb))
			row = binary.BigEndian.AppendUint16(row, uint16(ca))
		}
		h.Write(row)
	}
}
