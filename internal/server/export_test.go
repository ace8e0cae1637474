package server

// TapPath exposes tapPath to the external tests, which check that the
// requests they compare with Fiber's answers did take the fast path.
var TapPath = tapPath

// DecisionsCached is how many decisions and rendered pages s has cached.
func DecisionsCached(s *Server) (decisions, pages int) {
	return s.core.DecisionsCached(), s.pages.EstimatedSize()
}
