package server

// TapPath exposes tapPath to the external tests, which check that the
// requests they compare with Fiber's answers did take the fast path.
var TapPath = tapPath
