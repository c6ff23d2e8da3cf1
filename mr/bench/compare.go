package bench

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// scanBufferSize is the first buffer of the reader of an output file,
// and maxLineSize the longest line it takes.
const (
	scanBufferSize = 64 << 10
	maxLineSize    = 64 << 20
)

// outputFiles returns the final output files mr-out-* in dir.
func outputFiles(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "mr-out-*"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no mr-out-* files in %s", dir)
	}
	return paths, nil
}

// readOutputs reads the "key value" lines of files into one map: the
// sorted union of the files, as a set. A key found twice is an error.
func readOutputs(paths []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, scanBufferSize), maxLineSize)
		line := 0
		for sc.Scan() {
			line++
			text := sc.Text()
			i := strings.LastIndexByte(text, ' ')
			if i < 0 {
				f.Close()
				return nil, fmt.Errorf("%s:%d: not a \"key value\" line: %q", p, line, text)
			}
			k, v := text[:i], text[i+1:]
			if old, dup := out[k]; dup {
				f.Close()
				return nil, fmt.Errorf("%s:%d: key %q appears twice (values %q and %q)", p, line, k, old, v)
			}
			out[k] = v
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return out, nil
}

// countsToOutput renders word counts as readOutputs would read them.
func countsToOutput(counts map[string]int) map[string]string {
	out := make(map[string]string, len(counts))
	for w, c := range counts {
		out[w] = strconv.Itoa(c)
	}
	return out
}

// compareOutputs returns nil if got equals want, else an error that counts
// the missing, extra and different keys and shows a few of each.
func compareOutputs(want, got map[string]string) error {
	var missing, extra, differ []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			missing = append(missing, strconv.Quote(k))
		case g != w:
			differ = append(differ, fmt.Sprintf("%q: want %s, got %s", k, w, g))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			extra = append(extra, fmt.Sprintf("%q (%s)", k, got[k]))
		}
	}
	if len(missing)+len(extra)+len(differ) == 0 {
		return nil
	}
	var parts []string
	for _, d := range []struct {
		what string
		keys []string
	}{{"missing", missing}, {"unexpected", extra}, {"with a different count", differ}} {
		if len(d.keys) == 0 {
			continue
		}
		slices.Sort(d.keys)
		shown := d.keys[:min(len(d.keys), 3)]
		more := ""
		if len(d.keys) > len(shown) {
			more = ", ..."
		}
		parts = append(parts, fmt.Sprintf("%d keys %s (%s%s)", len(d.keys), d.what, strings.Join(shown, ", "), more))
	}
	return fmt.Errorf("output differs from the baseline's (%d keys): %s", len(want), strings.Join(parts, "; "))
}

// verify compares the union of dir's mr-out-* files with want.
func verify(dir string, want map[string]string) error {
	paths, err := outputFiles(dir)
	if err != nil {
		return err
	}
	got, err := readOutputs(paths)
	if err != nil {
		return err
	}
	return compareOutputs(want, got)
}
