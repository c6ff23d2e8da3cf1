package worker

import (
	"errors"
	"fmt"

	"6.5840/mr/transport"
)

// Exit classifies an ExitError, for a program to choose its exit status:
// an error of New or Run that is not an ExitError, or is one of class
// ExitFailed, is a failure.
type Exit uint8

const (
	// ExitFailed is a run that failed.
	ExitFailed Exit = iota
	// ExitBadConfig is a Config that New refused: nothing ran.
	ExitBadConfig
	// ExitCoordinatorGone is a coordinator that went away after this
	// worker had worked for it: it most likely finished the job while
	// this worker was busy. The worker did what it could; not a failure.
	ExitCoordinatorGone
)

// String names the class.
func (e Exit) String() string {
	switch e {
	case ExitFailed:
		return "failed"
	case ExitBadConfig:
		return "bad config"
	case ExitCoordinatorGone:
		return "coordinator gone"
	default:
		return fmt.Sprintf("Exit(%d)", uint8(e))
	}
}

// ExitError is an error of New or Run with its class. Its message is
// Err's; errors.Is and errors.As see through it to Err's sentinels.
type ExitError struct {
	Exit Exit
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitOf returns the class of err, an error of New or Run.
func ExitOf(err error) Exit {
	var exit *ExitError
	if errors.As(err, &exit) {
		return exit.Exit
	}
	return ExitFailed
}

// explain words err, which ended Run, for whoever started the worker,
// and classifies it. The coordinator being unreachable means three
// things: cut off in the middle of an attempt (the coordinator did not
// finish; it stopped answering); gone after this worker had worked for
// it (most likely with the job done); or never reached at all.
func (w *Worker) explain(err error) error {
	addr := w.cfg.Addr
	unreachable := errors.Is(err, ErrCoordinatorUnreachable)
	var classified *ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &classified):
		return err
	case unreachable && w.cutOff && !errors.Is(err, ErrCoordinatorGone):
		err = fmt.Errorf("cut off from the coordinator at %s: abandoned the running attempt; %w", addr, err)
	case unreachable && w.registered:
		return &ExitError{Exit: ExitCoordinatorGone, Err: err}
	case errors.Is(err, transport.ErrAuth):
		err = fmt.Errorf("cannot authenticate with the coordinator: %w (do both use the same -secret-file, and both -tls-* or neither?)", err)
	case errors.Is(err, transport.ErrTLS):
		err = fmt.Errorf("cannot set up TLS with the coordinator: %w (do both use -tls-*, with certificates signed by the same -tls-ca, and does the coordinator's name the host in -addr?)", err)
	case unreachable:
		err = fmt.Errorf("no coordinator at %s: %w (is mrcoordinator running with the same -addr or $%s?)", addr, err, transport.AddrEnv)
	}
	return &ExitError{Exit: ExitFailed, Err: err}
}
