#!/bin/sh
# Inverted index mapper in shell: one "word<TAB>document" line for each
# distinct word (maximal run of ASCII letters) of the input.
LC_ALL=C tr -cs 'A-Za-z' '\n' | LC_ALL=C sort -u | awk -v doc="$MR_INPUT" 'NF { print $0 "\t" doc }'
