#!/usr/bin/awk -f
# Word count mapper in awk: one "word<TAB>1" line per word, a word being a
# maximal run of ASCII letters (the same as mrapps/wc on ASCII text).
{
	n = split($0, words, /[^A-Za-z]+/)
	for (i = 1; i <= n; i++)
		if (words[i] != "")
			print words[i] "\t1"
}
