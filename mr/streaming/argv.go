package streaming

import (
	"errors"
	"fmt"
	"strings"
)

// Split splits a command line into arguments as a POSIX shell splits
// words, with no expansion: see the package doc.
func Split(line string) ([]string, error) {
	var args []string
	var word strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				args = append(args, word.String())
				word.Reset()
				inWord = false
			}
		case c == '\\':
			inWord = true
			if i+1 == len(line) {
				return nil, fmt.Errorf("command %q ends with a backslash", line)
			}
			i++
			if line[i] != '\n' { // backslash-newline joins lines
				word.WriteByte(line[i])
			}
		case c == '\'':
			inWord = true
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("command %q has an unterminated single quote", line)
			}
			word.WriteString(line[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			inWord = true
			end, err := doubleQuoted(line, i, &word)
			if err != nil {
				return nil, err
			}
			i = end
		default:
			inWord = true
			word.WriteByte(c)
		}
	}
	if inWord {
		args = append(args, word.String())
	}
	if len(args) == 0 {
		return nil, errors.New("empty command")
	}
	return args, nil
}

// doubleQuoted appends to word the text of the double-quoted string that
// starts at line[open], where a backslash escapes only $ ` " \ and a
// newline (which it removes), and returns the index of the closing quote.
func doubleQuoted(line string, open int, word *strings.Builder) (int, error) {
	for i := open + 1; i < len(line); i++ {
		c := line[i]
		if c == '"' {
			return i, nil
		}
		if c == '\\' && i+1 < len(line) && strings.IndexByte(escapedInDoubleQuotes, line[i+1]) >= 0 {
			i++
			if line[i] != '\n' {
				word.WriteByte(line[i])
			}
			continue
		}
		word.WriteByte(c)
	}
	return 0, fmt.Errorf("command %q has an unterminated double quote", line)
}

// escapedInDoubleQuotes are the bytes a backslash escapes inside double
// quotes, as in a POSIX shell.
const escapedInDoubleQuotes = "$`\"\\\n"
