// Package loader opens an application plugin and checks that its exported
// symbols have the signatures the engine expects. It is the only package
// that imports "plugin".
package loader

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"plugin"
	"reflect"

	"6.5840/mr/app"
	"6.5840/mr/filekind"
)

// rebuildHint ends the message for a plugin that Go refuses to load.
const rebuildHint = "the plugin and this program must be built from the same sources " +
	"with the same flags (including -race); rebuild both, e.g. with `make build` " +
	"(or `make build RACE=1`)"

// symbolSpec describes one symbol an application may export.
type symbolSpec struct {
	name     string
	required bool
	want     reflect.Type
	set      func(a *app.App, v reflect.Value)
}

var symbols = []symbolSpec{
	// Map is required unless MapEmit is there: see Load.
	{"Map", false, reflect.TypeFor[app.MapFunc](), func(a *app.App, v reflect.Value) { a.Map = v.Interface().(app.MapFunc) }},
	{"MapEmit", false, reflect.TypeFor[app.MapEmitFunc](), func(a *app.App, v reflect.Value) { a.MapEmit = v.Interface().(app.MapEmitFunc) }},
	{"Reduce", true, reflect.TypeFor[app.ReduceFunc](), func(a *app.App, v reflect.Value) { a.Reduce = v.Interface().(app.ReduceFunc) }},
	{"Combine", false, reflect.TypeFor[app.ReduceFunc](), func(a *app.App, v reflect.Value) { a.Combine = v.Interface().(app.ReduceFunc) }},
	{"Partition", false, reflect.TypeFor[app.PartitionFunc](), func(a *app.App, v reflect.Value) { a.Partition = v.Interface().(app.PartitionFunc) }},
}

// Load opens the plugin at path and returns its functions. Errors name the
// file and, for a bad symbol, the symbol and the signature expected.
func Load(path string) (app.App, error) {
	// A named pipe would block plugin.Open forever.
	f, _, err := filekind.OpenRegular(path)
	if err != nil {
		return app.App{}, fmt.Errorf("plugin: %w", err)
	}
	f.Close()
	p, err := plugin.Open(path)
	if err != nil {
		return app.App{}, fmt.Errorf("cannot load plugin %s: %v\n%s", path, err, rebuildHint)
	}
	var a app.App
	var problems []error
	for _, spec := range symbols {
		sym, err := p.Lookup(spec.name)
		if err != nil {
			if spec.required {
				problems = append(problems, fmt.Errorf("plugin %s does not export %s; want %s", path, spec.name, signature(spec)))
			}
			continue
		}
		v := reflect.ValueOf(sym)
		// An exported variable holding a function arrives as a pointer to it.
		if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Func {
			v = v.Elem()
		}
		if v.Type() != spec.want {
			problems = append(problems, fmt.Errorf("plugin %s: %s has type %s; want %s",
				path, spec.name, describe(v.Type()), signature(spec)))
			continue
		}
		spec.set(&a, v)
	}
	if a.Map == nil && a.MapEmit == nil && len(problems) == 0 {
		problems = append(problems, fmt.Errorf("plugin %s exports neither Map nor MapEmit; want %s, or %s",
			path, signature(symbols[0]), signature(symbols[1])))
	}
	return a, errors.Join(problems...)
}

// signature renders the expected declaration of a symbol.
func signature(spec symbolSpec) string {
	return fmt.Sprintf("func %s%s (with mr = \"6.5840/mr\")", spec.name, spec.want.String()[len("func"):])
}

// describe renders a type, naming the packages of named types in it so that
// a KeyValue from another module is told apart from mr.KeyValue.
func describe(t reflect.Type) string {
	s := t.String()
	if t.Kind() == reflect.Func {
		for i := 0; i < t.NumOut(); i++ {
			out := t.Out(i)
			if out.Kind() == reflect.Slice && out.Elem().PkgPath() != "" {
				s += fmt.Sprintf(" (%s from package %q)", out.Elem().Name(), out.Elem().PkgPath())
			}
		}
	}
	return s
}

// Fingerprint returns the SHA-256 of the plugin file at path, in hex: it
// identifies the application, so that a job never mixes two.
func Fingerprint(path string) (string, error) {
	f, _, err := filekind.OpenRegular(path)
	if err != nil {
		return "", fmt.Errorf("plugin %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("plugin %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
