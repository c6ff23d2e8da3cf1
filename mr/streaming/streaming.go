package streaming

import (
	"bufio"
	"context"
	"io"
	"log/slog"

	"6.5840/mr/app"
)

// App is a streaming application: a mapper and a reducer command, and
// optionally a combiner.
type App struct {
	Mapper, Reducer Command
	// Combiner, if not nil, combines each map attempt's output.
	Combiner *Command
	// Log receives the commands' stderr lines and status, with the
	// attempt's id.
	Log *slog.Logger
	// maxLine bounds a line of stdout; 0 means MaxLine.
	maxLine int
}

// App returns the application as the engine runs it.
func (s *App) App() app.App {
	a := app.App{MapTask: s.Map, ReduceTask: s.Reduce}
	if s.Combiner != nil {
		a.CombineTask = s.Combine
	}
	return a
}

func (s *App) process(role string, cmd Command, at app.Attempt) process {
	p := process{role: role, cmd: cmd, at: at, log: s.Log, maxLine: s.maxLine}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.maxLine <= 0 {
		p.maxLine = MaxLine
	}
	return p
}

// Map runs the mapper on contents and hands each line of its stdout to
// emit, as it arrives, as a pair.
func (s *App) Map(ctx context.Context, at app.Attempt, contents string, emit func(key, value string)) error {
	p := s.process("mapper", s.Mapper, at)
	return p.run(ctx,
		func(w *bufio.Writer) error {
			_, err := w.WriteString(contents)
			return err
		},
		func(stdout io.Reader) error { return readPairs(stdout, p.maxLine, emit) })
}

// Reduce runs the reducer on the records of in, as "key<TAB>value" lines,
// and copies its stdout to out.
func (s *App) Reduce(ctx context.Context, at app.Attempt, in app.Records, out io.Writer) error {
	p := s.process("reducer", s.Reducer, at)
	return p.run(ctx,
		func(w *bufio.Writer) error { return writeRecords(w, in) },
		func(stdout io.Reader) error {
			_, err := io.Copy(out, stdout)
			return err
		})
}

// Combine runs the combiner on the records of in, as "key<TAB>value"
// lines, and hands each line of its stdout to emit, as it arrives, as a
// pair.
func (s *App) Combine(ctx context.Context, at app.Attempt, in app.Records, emit func(key, value string)) error {
	p := s.process("combiner", *s.Combiner, at)
	return p.run(ctx,
		func(w *bufio.Writer) error { return writeRecords(w, in) },
		func(stdout io.Reader) error { return readPairs(stdout, p.maxLine, emit) })
}

// Fingerprint identifies the application: see the package's Fingerprint.
func (s *App) Fingerprint() (string, error) { return Fingerprint(&s.Mapper, &s.Reducer, s.Combiner) }
