// Command wcstream is the word count as one compiled streaming program,
// to measure what the streaming pipes cost beside the work itself:
//
//	mrworker -mapper 'wcstream map' -reducer 'wcstream reduce'
//
// "map" writes "word<TAB>1" for every maximal run of letters on stdin, as
// mrapps/wc's Map does; "reduce" reads those lines sorted by word and
// writes "word count" lines, as mrapps/wc's Reduce does.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// ioBuffer is the size of the stdin and stdout buffers; maxLine bounds
// one input line.
const (
	ioBuffer = 1 << 16
	maxLine  = 64 << 20
)

func main() {
	if len(os.Args) != 2 || (os.Args[1] != "map" && os.Args[1] != "reduce") {
		fmt.Fprintln(os.Stderr, "usage: wcstream map|reduce")
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, ioBuffer), maxLine)
	out := bufio.NewWriterSize(os.Stdout, ioBuffer)
	var err error
	if os.Args[1] == "map" {
		err = mapWords(in, out)
	} else {
		err = reduceCounts(in, out)
	}
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wcstream:", err)
		os.Exit(1)
	}
}

// mapWords writes "word\t1" for every word of every line.
func mapWords(in *bufio.Scanner, out *bufio.Writer) error {
	for in.Scan() {
		line := in.Bytes()
		start := -1
		for i := 0; i < len(line); {
			r, size := utf8.DecodeRune(line[i:])
			letter := unicode.IsLetter(r)
			switch {
			case letter && start < 0:
				start = i
			case !letter && start >= 0:
				writeOne(out, line[start:i])
				start = -1
			}
			i += size
		}
		if start >= 0 {
			writeOne(out, line[start:])
		}
	}
	return in.Err()
}

func writeOne(out *bufio.Writer, word []byte) {
	out.Write(word)
	out.WriteString("\t1\n")
}

// reduceCounts sums the values of each run of lines with the same key.
func reduceCounts(in *bufio.Scanner, out *bufio.Writer) error {
	var word []byte
	total, seen := 0, false
	flush := func() {
		if seen {
			out.Write(word)
			out.WriteByte(' ')
			out.WriteString(strconv.Itoa(total))
			out.WriteByte('\n')
		}
	}
	for in.Scan() {
		key, value, _ := bytes.Cut(in.Bytes(), []byte{'\t'})
		n, err := strconv.Atoi(string(value))
		if err != nil {
			return fmt.Errorf("value of %q: %w", key, err)
		}
		if !seen || !bytes.Equal(key, word) {
			flush()
			word, total, seen = append(word[:0], key...), 0, true
		}
		total += n
	}
	if err := in.Err(); err != nil && err != io.EOF {
		return err
	}
	flush()
	return nil
}
