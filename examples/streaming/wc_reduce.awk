#!/usr/bin/awk -f
# Word count reducer in awk: sums the counts of each word, whose lines
# arrive adjacent, and writes "word total".
BEGIN { FS = "\t" }
$1 != word {
	if (NR > 1)
		print word, total
	word = $1
	total = 0
}
{ total += $2 }
END {
	if (NR > 0)
		print word, total
}
