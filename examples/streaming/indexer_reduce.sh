#!/bin/sh
# Inverted index reducer in shell and awk: "word N doc1,doc2,..." with the
# documents of each word sorted.
LC_ALL=C sort -t "$(printf '\t')" -k1,1 -k2,2 | awk -F '\t' '
$1 != word {
	if (NR > 1)
		print word, n, docs
	word = $1
	n = 0
	docs = ""
}
{
	docs = n ? docs "," $2 : $2
	n++
}
END {
	if (NR > 0)
		print word, n, docs
}'
