#!/usr/bin/env python3
"""Word count mapper: one "word<TAB>1" line per word, a word being a
maximal run of letters, as in mrapps/wc."""
import sys

# surrogateescape keeps bytes that are not UTF-8 as non-letters, as Go does.
stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="surrogateescape", newline="")
stdout = open(sys.stdout.fileno(), "w", encoding="utf-8", errors="surrogateescape")

for line in stdin:
    word = []
    for c in line:
        if c.isalpha():
            word.append(c)
        elif word:
            stdout.write("".join(word) + "\t1\n")
            word = []
    if word:  # a line ends inside a word only at the end of the input
        stdout.write("".join(word) + "\t1\n")
stdout.flush()
