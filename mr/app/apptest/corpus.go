package apptest

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Corpus returns the Project Gutenberg texts of the project's testdata
// folder, one after another: the input of the applications' benchmarks.
func Corpus(tb testing.TB) string {
	tb.Helper()
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("apptest: cannot tell where the package's source is")
	}
	pattern := filepath.Join(filepath.Dir(here), "..", "..", "..", "testdata", "pg-*.txt")
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		tb.Fatalf("apptest: no texts match %s (err: %v)", pattern, err)
	}
	var text strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		text.Write(data)
	}
	return text.String()
}
