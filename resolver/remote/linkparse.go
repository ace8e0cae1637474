package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hutong-dev/hutong/resolver"
)

// taobao.tbk.dg.general.link.parse (淘宝客-推广者-万能解析) takes
// material_dto, a JSON list of {"material_url": URL or 淘口令}, and
// adzone_id, and answers {"tbk_dg_general_link_parse_response":{"data":
// {"material_url_list":[{"code":…,"msg":…,"input_material_url":…,
// "link_info_dto":{"tpwd_origin_url":…,"cps_long_url":…,
// "coupon_long_url":…,"material_id":…,"material_type":1…}}]},
// "result_msg":…}} (field list as in the generated models of
// bububa/opentaobao model/tbk/TaobaoTbkDgGeneralLinkParseAPIResponse.go,
// TbkLinkDto.go, MaterialUrlList.go, LinkInfoDto.go; material_type 1 is an
// item, 2 a shop, 3 a campaign page, 5 a coupon, 6 a live room).

// linkParseResponse is the tbk_dg_general_link_parse_response object.
type linkParseResponse struct {
	ResultMsg string `json:"result_msg"`
	Data      *struct {
		MaterialURLList []struct {
			Code     json.Number `json:"code"`
			Msg      string      `json:"msg"`
			LinkInfo *struct {
				TpwdOriginURL string      `json:"tpwd_origin_url"`
				CPSLongURL    string      `json:"cps_long_url"`
				CouponLongURL string      `json:"coupon_long_url"`
				MaterialID    string      `json:"material_id"`
				MaterialType  json.Number `json:"material_type"`
			} `json:"link_info_dto"`
		} `json:"material_url_list"`
	} `json:"data"`
}

// linkParse decodes material (a 淘口令 or a URL) with the affiliate method.
func (d *TOPDecoder) linkParse(ctx context.Context, material string) (resolver.Decoded, error) {
	dto, _ := json.Marshal([]map[string]string{{"material_url": material}})
	body, err := d.top.Call(ctx, TOPLinkParseMethod, map[string]string{
		"material_dto": string(dto),
		"adzone_id":    d.adzone,
	})
	if err != nil {
		return resolver.Decoded{}, err
	}
	var r linkParseResponse
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return resolver.Decoded{}, fmt.Errorf("%w: TOP %s: malformed response: %v", ErrUpstream, TOPLinkParseMethod, err)
	}
	if r.Data == nil || len(r.Data.MaterialURLList) == 0 {
		return resolver.Decoded{}, fmt.Errorf("%w: TOP %s: %s", ErrNotFound, TOPLinkParseMethod, firstNonEmpty(r.ResultMsg, "no result"))
	}
	m := r.Data.MaterialURLList[0]
	if c := m.Code.String(); c != "" && c != "0" || m.LinkInfo == nil {
		return resolver.Decoded{}, fmt.Errorf("%w: TOP %s: code %s %s", ErrNotFound, TOPLinkParseMethod, m.Code, m.Msg)
	}
	li := m.LinkInfo
	var raw string
	switch {
	case li.TpwdOriginURL != "":
		raw = li.TpwdOriginURL
	case li.MaterialType.String() == "1" && isDigits(li.MaterialID):
		raw = "https://item.taobao.com/item.htm?id=" + li.MaterialID
	default:
		raw = firstNonEmpty(li.CouponLongURL, li.CPSLongURL)
	}
	if strings.TrimSpace(raw) == "" {
		return resolver.Decoded{}, fmt.Errorf("%w: TOP %s answered no URL", ErrNotFound, TOPLinkParseMethod)
	}
	target, err := checkTarget(raw, d.allow)
	if err != nil {
		return resolver.Decoded{}, fmt.Errorf("parsed link: %w", err)
	}
	return resolver.Decoded{URL: target}, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
