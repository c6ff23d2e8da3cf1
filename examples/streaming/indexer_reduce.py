#!/usr/bin/env python3
"""Inverted index reducer: for each word, "word N doc1,doc2,..." with the
N documents sorted, the lab's format."""
import sys

stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="surrogateescape", newline="\n")
stdout = open(sys.stdout.fileno(), "w", encoding="utf-8", errors="surrogateescape")


def flush(word, docs):
    docs.sort()
    stdout.write(f"{word} {len(docs)} {','.join(docs)}\n")


word, docs = None, []
for line in stdin:
    key, _, value = line.rstrip("\n").partition("\t")
    if key != word:
        if word is not None:
            flush(word, docs)
        word, docs = key, []
    docs.append(value)
if word is not None:
    flush(word, docs)
stdout.flush()
