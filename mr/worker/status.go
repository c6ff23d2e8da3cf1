package worker

import "sync/atomic"

// attemptStatus holds the latest status message an attempt's application
// reported (a streaming command's reporter:status line); the attempt's
// heartbeats carry it to the coordinator. A nil *attemptStatus holds
// nothing.
type attemptStatus struct {
	message atomic.Pointer[string]
}

// set records message as the attempt's status.
func (s *attemptStatus) set(message string) { s.message.Store(&message) }

// get returns the latest status, or "".
func (s *attemptStatus) get() string {
	if s == nil {
		return ""
	}
	if m := s.message.Load(); m != nil {
		return *m
	}
	return ""
}
