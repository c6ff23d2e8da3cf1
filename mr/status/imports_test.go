package status

import (
	"go/build"
	"strings"
	"testing"
)

// modulePrefix starts the import path of every package of this repository.
const modulePrefix = "6.5840/"

// TestImportsNothingOfTheRepository holds the package doc's promise: the
// package is fed plain data and imports no other package of this
// repository, not even in its tests.
func TestImportsNothingOfTheRepository(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatalf("read the package: %v", err)
	}
	for _, imports := range [][]string{pkg.Imports, pkg.TestImports, pkg.XTestImports} {
		for _, path := range imports {
			if strings.HasPrefix(path, modulePrefix) {
				t.Errorf("imports %s; want nothing of this repository", path)
			}
		}
	}
}
