// Package apptest holds application functions that tests of the engine
// share.
package apptest

import "strconv"

// Sum is a Reduce or Combine that adds up decimal integer values, as a
// word count's do. It panics on a value that is not one: in a test, that
// is a bug to see at once.
func Sum(_ string, values []string) string {
	total := 0
	for _, v := range values {
		n, err := strconv.Atoi(v)
		if err != nil {
			panic(err)
		}
		total += n
	}
	return strconv.Itoa(total)
}
