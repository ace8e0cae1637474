package tap

import (
	"testing"

	"github.com/hutong-dev/hutong/shortlink"
)

func TestForward(t *testing.T) {
	q := []Param{{"from", "singlemessage"}, {"gdt_vid", "wx 1&2"}, {"click_id", "c1"}, {"spm", "x"}, {"bd_vid", "b"}}
	tests := []struct {
		name string
		link *shortlink.Link
		q    []Param
		want string
	}{
		{"no link (/r)", nil, q, ""},
		{"link forwards nothing", &shortlink.Link{}, q, ""},
		{"utm sorted and escaped", &shortlink.Link{UTM: map[string]string{"utm_source": "wx", "utm_campaign": "双11 a&b"}}, nil,
			"utm_campaign=%E5%8F%8C11+a%26b&utm_source=wx"},
		{"forwarded click ids in query order", &shortlink.Link{ForwardClickIDs: []string{"click_id", "gdt_vid"}}, q,
			"gdt_vid=wx+1%262&click_id=c1"},
		{"only click-ID names are forwarded", &shortlink.Link{ForwardClickIDs: []string{"spm", "from"}}, q, ""},
		{"utm then click ids", &shortlink.Link{UTM: map[string]string{"utm_medium": "chat"}, ForwardClickIDs: []string{"bd_vid"}}, q,
			"utm_medium=chat&bd_vid=b"},
		{"preview: no query", &shortlink.Link{ForwardClickIDs: []string{"gdt_vid"}}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Forward(tt.link, tt.q); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}
