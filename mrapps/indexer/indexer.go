// The indexer application builds an inverted index: for every word (a
// maximal run of letters) it outputs how many input documents contain the
// word, followed by the comma-separated, sorted list of those documents.
//
// It shows a Map that emits each key at most once per input and a Reduce
// whose output depends on the input file names.
//
// Build it as a plugin:
//
//	go build -buildmode=plugin -o indexer.so ./mrapps/indexer
package main

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"6.5840/mr"
)

// Map emits (word, document) once for each distinct word of the document.
func Map(document string, contents string) []mr.KeyValue {
	seen := make(map[string]bool)
	var kva []mr.KeyValue
	for _, w := range strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if !seen[w] {
			seen[w] = true
			kva = append(kva, mr.KeyValue{Key: w, Value: document})
		}
	}
	return kva
}

// Reduce returns the number of documents containing key and their sorted,
// comma-separated names.
func Reduce(key string, values []string) string {
	docs := make([]string, len(values))
	copy(docs, values)
	sort.Strings(docs)
	return fmt.Sprintf("%d %s", len(docs), strings.Join(docs, ","))
}
