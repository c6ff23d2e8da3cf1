// Package appflags is how the programs that run an application choose it:
// a plugin file, or the -mapper and -reducer commands of a streaming
// application (package streaming).
package appflags

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"6.5840/mr/app"
	"6.5840/mr/loader"
	"6.5840/mr/streaming"
)

// ErrBadCommand wraps the error for a command that is missing, not
// executable or does not split: a usage error, refused at start.
var ErrBadCommand = errors.New("bad command")

// Flags holds the streaming flags.
type Flags struct {
	Mapper, Reducer, Combiner string
}

// Register defines -mapper and -reducer on fs.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	fs.StringVar(&f.Mapper, "mapper", "", "run this command as the mapper instead of a plugin's Map (a streaming application; needs -reducer)")
	fs.StringVar(&f.Reducer, "reducer", "", "run this command as the reducer instead of a plugin's Reduce (needs -mapper)")
	fs.StringVar(&f.Combiner, "combiner", "", "with -mapper and -reducer, run this command over each partition of each map task's output")
	return f
}

// Streaming reports whether commands were given instead of a plugin.
func (f *Flags) Streaming() bool { return f.Mapper != "" || f.Reducer != "" || f.Combiner != "" }

// The kinds of application, the prefixes of their fingerprints: a
// refused worker is told which kind the job runs.
const (
	PluginKind    = "plugin:"
	StreamingKind = "streaming:"
)

// Load returns the application and its fingerprint (its kind, then a
// SHA-256 in hex), which the coordinator
// compares across workers: the streaming application of the flags if
// they are set, else the plugin at path. A bad command is an error
// wrapping ErrBadCommand, naming the flag and the command.
func (f *Flags) Load(path string, log *slog.Logger) (app.App, string, error) {
	if !f.Streaming() {
		a, err := loader.Load(path)
		if err != nil {
			return app.App{}, "", err
		}
		id, err := loader.Fingerprint(path)
		return a, PluginKind + id, err
	}
	switch {
	case f.Mapper == "":
		return app.App{}, "", fmt.Errorf("%w: -reducer and -combiner need -mapper", ErrBadCommand)
	case f.Reducer == "":
		return app.App{}, "", fmt.Errorf("%w: -mapper needs -reducer", ErrBadCommand)
	}
	m, err := streaming.Parse(f.Mapper)
	if err != nil {
		return app.App{}, "", fmt.Errorf("%w: -mapper: %w", ErrBadCommand, err)
	}
	r, err := streaming.Parse(f.Reducer)
	if err != nil {
		return app.App{}, "", fmt.Errorf("%w: -reducer: %w", ErrBadCommand, err)
	}
	s := &streaming.App{Mapper: m, Reducer: r, Log: log}
	if f.Combiner != "" {
		c, err := streaming.Parse(f.Combiner)
		if err != nil {
			return app.App{}, "", fmt.Errorf("%w: -combiner: %w", ErrBadCommand, err)
		}
		s.Combiner = &c
	}
	id, err := s.Fingerprint()
	if err != nil {
		return app.App{}, "", err
	}
	return s.App(), StreamingKind + id, nil
}
