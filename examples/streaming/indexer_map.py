#!/usr/bin/env python3
"""Inverted index mapper: one "word<TAB>document" line for each distinct
word of the input, the document being $MR_INPUT, as in mrapps/indexer."""
import os
import sys

doc = os.environ["MR_INPUT"]
stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="surrogateescape", newline="")
stdout = open(sys.stdout.fileno(), "w", encoding="utf-8", errors="surrogateescape")

seen = set()
word = []
for c in stdin.read():
    if c.isalpha():
        word.append(c)
        continue
    if word:
        seen.add("".join(word))
        word = []
if word:
    seen.add("".join(word))
for w in seen:
    stdout.write(f"{w}\t{doc}\n")
stdout.flush()
