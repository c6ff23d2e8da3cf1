#!/usr/bin/env python3
"""Word count combiner: reads "word<TAB>count" lines sorted by word and
writes one "word<TAB>sum" line per word, in the same order."""
import sys

stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="surrogateescape", newline="\n")
stdout = open(sys.stdout.fileno(), "w", encoding="utf-8", errors="surrogateescape")

word, total = None, 0
for line in stdin:
    key, _, value = line.rstrip("\n").partition("\t")
    if key != word:
        if word is not None:
            stdout.write(f"{word}\t{total}\n")
        word, total = key, 0
    total += int(value)
if word is not None:
    stdout.write(f"{word}\t{total}\n")
stdout.flush()
