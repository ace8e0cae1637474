package ui

import (
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hutong-dev/hutong/shortlink"
	"github.com/hutong-dev/hutong/shortlink/qr"
)

// The QR panel's caption choice and the link's own logo (qr_logo).

// qrMessages are the messages of the QR caption and logo controls.
var qrMessages = map[string][2]string{
	"qr.caption":      {"码下文字", "Caption"},
	"qr.cap.none":     {"不加文字", "None"},
	"qr.cap.wechat":   {"微信扫一扫", "微信扫一扫 (WeChat)"},
	"qr.cap.taobao":   {"打开淘宝扫一扫", "打开淘宝扫一扫 (Taobao)"},
	"qr.cap.tmall":    {"打开天猫扫一扫", "打开天猫扫一扫 (Tmall)"},
	"qr.cap.alipay":   {"支付宝扫一扫", "支付宝扫一扫 (Alipay)"},
	"qr.cap.custom":   {"自定义文字", "Your own text"},
	"qr.ctext":        {"自定义文字（最多 24 个字）", "Your own text (up to 24 characters)"},
	"qr.badcaption":   {"文字无效或超过 24 个字，未加文字。", "The caption is not valid or longer than 24 characters: none is drawn."},
	"qr.capfont":      {"PNG 内置字体没有「%s」：PNG 不带文字，SVG 下载带文字。", "The PNG font has no “%s”: the PNG has no caption, the SVG download has it."},
	"qr.pngfail":      {"PNG 预览失败：内置字体可能缺少文字中的某个字。请下载 SVG，或删掉该字。", "The PNG could not be drawn: its font may lack a character of the caption. Download the SVG, or leave that character out."},
	"qr.linklogo":     {"此链接的 Logo", "This link's logo"},
	"qr.installlogo":  {"默认（全站 Logo）", "Default (install-wide logo)"},
	"qr.savelogo":     {"保存 Logo", "Save logo"},
	"qr.nologos":      {"还没有上传 Logo（hutong logos add 名称 文件.png）。", "No logos uploaded yet (hutong logos add NAME FILE.png)."},
	"qr.logogone":     {"此链接的 Logo「%s」已删除，使用默认 Logo。", "This link's logo “%s” was deleted: the default logo is used."},
	"err.badlogo":     {"没有这个 Logo，请先上传。", "There is no such logo: upload it first."},
	"flash.logosaved": {"已保存此链接的 Logo。", "The link's logo is saved."},
}

// qrCaptions are the caption presets offered, in order ("" none, "custom"
// the text field).
var qrCaptions = []string{"", "wechat", "taobao", "tmall", "alipay", "custom"}

// qrCaptionState is the caption and logo part of qrChoice.
type qrCaptionState struct {
	Caption   string   // preset or "custom"
	CText     string   // custom text
	Captions  []string // qrCaptions
	CapError  string   // message key
	CapFont   string   // character the PNG font lacks
	LinkLogo  string   // the link's qr_logo
	LogoGone  bool     // it names a deleted logo
	Logos     []string // stored logo names; nil when the store keeps none
	LogoStore bool
}

// captionQuery reads the caption choice and adds caption= to the PNG and
// SVG query values (png may lose it when the PNG font lacks a character).
func (u *ui) captionQuery(c *fiber.Ctx, q *qrChoice, png, svg url.Values) {
	q.Captions = qrCaptions
	q.Caption = c.Query("caption")
	if !slices.Contains(qrCaptions, q.Caption) {
		q.Caption = ""
	}
	q.CText = strings.Clone(strings.TrimSpace(c.Query("ctext")))
	text := q.Caption
	if q.Caption == "custom" {
		text = q.CText
	}
	if text == "" {
		return
	}
	o, err := qr.ParseOptions(func(k string) string {
		if k == "caption" {
			return text
		}
		return ""
	})
	if err != nil {
		q.CapError = "qr.badcaption"
		return
	}
	svg.Set("caption", text)
	if r, ok := qr.HasGlyphs(o.Caption); !ok {
		q.CapFont = string(r)
		return
	}
	png.Set("caption", text)
}

// logoChoice fills the link's logo state: its qr_logo, whether it still
// exists, and the stored logos for the selector.
func (u *ui) logoChoice(q *qrChoice, l *shortlink.Link) {
	ls := u.d.Service.Logos()
	q.LinkLogo = l.QRLogo
	if ls == nil {
		return
	}
	q.LogoStore = true
	ctx, cancel := ctxTimeout()
	defer cancel()
	logos, err := ls.ListLogos(ctx)
	if err != nil {
		u.log.Warn("ui: listing logos", "err", err)
		return
	}
	q.Logos = []string{}
	for _, lg := range logos {
		q.Logos = append(q.Logos, lg.Name)
	}
	q.LogoGone = l.QRLogo != "" && !slices.Contains(q.Logos, l.QRLogo)
}

// handleQRLogo sets the link's qr_logo from the QR panel's selector.
func (u *ui) handleQRLogo(c *fiber.Ctx, rq *req) error {
	if ok, err := u.canWrite(c, rq); !ok {
		return err
	}
	l, err := u.loadLink(c, rq)
	if l == nil {
		return err
	}
	name := strings.Clone(c.FormValue("qr_logo"))
	ctx, cancel := ctxTimeout()
	defer cancel()
	if _, err := u.d.Service.Edit(ctx, *l, shortlink.Input{QRLogo: &name}); err != nil {
		if shortlink.ErrorCode(err) == shortlink.CodeInvalid {
			return u.errorPage(c, rq, fiber.StatusBadRequest, "err.badlogo")
		}
		u.log.Error("ui: setting the link's logo failed", "err", err)
		return u.errorPage(c, rq, fiber.StatusServiceUnavailable, "err.unavailable")
	}
	p := linkPath(l.Domain, l.Code, "")
	sep := "?"
	if strings.Contains(p, "?") {
		sep = "&"
	}
	return c.Redirect(p+sep+"logosaved=1&logo=1", fiber.StatusSeeOther)
}
