package gensort

import (
	"fmt"

	"6.5840/mr/bench/sortrec"
	"6.5840/mr/bench/zipf"
)

// Distribution says how keys are drawn.
type Distribution int

const (
	// Uniform keys: every key byte uniform over the 95 printable
	// characters, independently, as gensort -a draws them. Duplicates
	// are as rare as chance makes them (95^10 keys).
	Uniform Distribution = iota
	// Zipf keys: ZipfKeys distinct keys, scattered over the key space,
	// the k-th most frequent (from 0) held by a share of the records
	// proportional to 1/(k+1) (see package zipf). Every key repeats.
	Zipf
	// OneKey: HotPercent of the records, evenly spread, hold one key;
	// the others have uniform keys. The edge case of a key too big for
	// any one reduce partition's share.
	OneKey
)

var distributionNames = [...]string{Uniform: "uniform", Zipf: "zipf", OneKey: "onekey"}

// String returns the distribution's name, as ParseDistribution takes it.
func (d Distribution) String() string {
	if d < 0 || int(d) >= len(distributionNames) {
		return fmt.Sprintf("Distribution(%d)", int(d))
	}
	return distributionNames[d]
}

// ParseDistribution returns the distribution named s: uniform, zipf or
// onekey.
func ParseDistribution(s string) (Distribution, error) {
	for d, name := range distributionNames {
		if s == name {
			return Distribution(d), nil
		}
	}
	return 0, fmt.Errorf("unknown key distribution %q; want uniform, zipf or onekey", s)
}

const (
	// DefaultZipfKeys is the number of distinct keys under Zipf when
	// Config.ZipfKeys is 0: the most frequent key then holds 1/H(65536),
	// about 8.6% of the records, and the ten most frequent 25%.
	DefaultZipfKeys = 1 << 16
	// DefaultHotPercent is the share of the records under OneKey that
	// hold the hot key when Config.HotPercent is 0.
	DefaultHotPercent = 50
	// percent is what HotPercent is out of.
	percent = 100
	// MaxRecords is the most records one generation has, so that record
	// numbers times percent stay within an int64 (about 9 EB of data).
	MaxRecords = (1<<63 - 1) / percent
)

// Config describes one generation of records. The same Config gives the
// same records, byte for byte, on every machine.
type Config struct {
	// Records is how many records there are, numbered 0 to Records-1.
	Records int64
	// Seed chooses the keys and fillers.
	Seed uint64
	// Keys is the distribution of the keys.
	Keys Distribution
	// ZipfKeys is the number of distinct keys under Zipf; 0 means
	// DefaultZipfKeys. At most zipf.MaxRanks.
	ZipfKeys int
	// HotPercent is the percentage of records, 1 to 99, that hold the one
	// hot key under OneKey; 0 means DefaultHotPercent.
	HotPercent int
}

// RecordsIn returns the number of whole records in size bytes.
func RecordsIn(size int64) int64 { return size / sortrec.Size }

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.ZipfKeys == 0 {
		c.ZipfKeys = DefaultZipfKeys
	}
	if c.HotPercent == 0 {
		c.HotPercent = DefaultHotPercent
	}
	return c
}

// validate returns one error for each bad field of c, defaults applied.
func (c Config) validate() error {
	switch {
	case c.Records < 0 || c.Records > MaxRecords:
		return fmt.Errorf("gensort: %d records; want 0 to %d", c.Records, int64(MaxRecords))
	case c.Keys < Uniform || c.Keys > OneKey:
		return fmt.Errorf("gensort: unknown key distribution %d", int(c.Keys))
	case c.ZipfKeys < 1 || c.ZipfKeys > zipf.MaxRanks:
		return fmt.Errorf("gensort: %d Zipf keys; want 1 to %d", c.ZipfKeys, zipf.MaxRanks)
	case c.HotPercent < 1 || c.HotPercent >= percent:
		return fmt.Errorf("gensort: hot key in %d%% of the records; want 1 to %d", c.HotPercent, percent-1)
	}
	return nil
}
