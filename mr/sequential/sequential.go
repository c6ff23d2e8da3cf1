// Package sequential computes a job's answer in one process, the simple way:
// Map every input, sort all pairs in memory, Reduce each key. It is the
// reference the distributed engine is tested against, so it shares none of
// the engine's data path.
package sequential

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/atomicfile"
)

// Run applies a to inputs and writes one "key value" line per key, in key
// order, to the file out.
func Run(a app.App, inputs []string, out string) error {
	if err := a.Validate(); err != nil {
		return err
	}
	var all []mr.KeyValue
	for _, name := range inputs {
		contents, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("input %s: %w", name, err)
		}
		a.MapAll(name, string(contents), func(key, value string) {
			all = append(all, mr.KeyValue{Key: key, Value: value})
		})
	}
	slices.SortStableFunc(all, func(x, y mr.KeyValue) int { return strings.Compare(x.Key, y.Key) })

	f, err := atomicfile.Create(out, atomicfile.Durable)
	if err != nil {
		return err
	}
	defer f.Abort()
	for i := 0; i < len(all); {
		j := i
		var values []string
		for ; j < len(all) && all[j].Key == all[i].Key; j++ {
			values = append(values, all[j].Value)
		}
		if _, err := fmt.Fprintf(f, "%v %v\n", all[i].Key, a.Reduce(all[i].Key, values)); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
		i = j
	}
	return f.Commit()
}
