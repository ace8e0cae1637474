package server

import (
	"github.com/hutong-dev/hutong/internal/ui"
)

// mountUI serves the marketer's web page under /ui/ (internal/ui) when the
// link store is configured. Links made there go through the same
// shortlink.Service, with the same rules, as the JSON API's (s.links).
func (s *Server) mountUI() {
	if s.deps.Service == nil || s.deps.Keys == nil {
		return
	}
	err := ui.Mount(s.app, ui.Deps{
		Service:       s.links,
		Keys:          s.deps.Keys,
		Rules:         s.deps.Rules,
		Clients:       s.deps.Clients,
		Stats:         s.deps.Stats,
		Expander:      s.deps.Expander,
		Decoder:       s.deps.Decoder,
		Domains:       s.opts.Domains,
		BaseURL:       s.opts.BaseURL,
		Pools:         s.deps.Domain.Registry,
		DomainList:    s.uiDomainList(),
		MinHealthy:    s.deps.Domain.MinHealthy,
		QRLogo:        s.deps.QRLogo != nil,
		MaxInput:      s.opts.MaxInput,
		SecureCookies: s.deps.UISecureCookies,
		Secret:        s.deps.UISecret,
		Now:           s.now,
		Logger:        s.log,
	})
	if err != nil {
		// Only a broken build (embedded templates) gets here; the rest of
		// the service still works.
		s.log.Error("web UI disabled", "err", err)
	}
}
