// Package e2e holds end-to-end tests that run the real binaries: a
// coordinator and worker processes that are killed, stopped, poisoned and
// restarted. It has no code of its own.
package e2e
