package valsort

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"6.5840/mr/bench/gensort"
	"6.5840/mr/bench/sortrec"
)

// records returns n generated records, one slice each.
func records(t testing.TB, c gensort.Config) [][]byte {
	t.Helper()
	g, err := gensort.New(c)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, g.WriteRange(&buf, gensort.Range{Count: c.Records}))
	var recs [][]byte
	for data := buf.Bytes(); len(data) > 0; data = data[sortrec.Size:] {
		recs = append(recs, data[:sortrec.Size:sortrec.Size])
	}
	return recs
}

// sorted returns recs sorted bytewise, a sort's output.
func sorted(recs [][]byte) [][]byte {
	out := slices.Clone(recs)
	slices.SortFunc(out, bytes.Compare)
	return out
}

// writeFiles writes recs to files in dir, cut after the given record
// counts (the rest go to the last file), and returns their paths.
func writeFiles(t *testing.T, dir string, recs [][]byte, cuts ...int) []string {
	t.Helper()
	var paths []string
	start := 0
	for j, end := range append(cuts, len(recs)) {
		p := filepath.Join(dir, fmt.Sprintf("mr-out-%d", j))
		require.NoError(t, os.WriteFile(p, bytes.Join(recs[start:end], nil), 0o644))
		paths = append(paths, p)
		start = end
	}
	return paths
}

// checksum is the definition: the sum of the records' CRC-32s, mod 2^128.
func checksum(recs [][]byte) Checksum {
	sum := new(big.Int)
	for _, r := range recs {
		sum.Add(sum, big.NewInt(int64(crc32.ChecksumIEEE(r))))
	}
	lo := new(big.Int).And(sum, new(big.Int).SetUint64(math.MaxUint64))
	return Checksum{Hi: new(big.Int).Rsh(sum, 64).Uint64(), Lo: lo.Uint64()}
}

func TestSortedOutputMatchesInput(t *testing.T) {
	dir := t.TempDir()
	in := records(t, gensort.Config{Records: 3000, Seed: 1})
	inputs := writeFiles(t, filepath.Join(dir), in, 1000, 1500)
	outDir := filepath.Join(dir, "out")
	require.NoError(t, os.Mkdir(outDir, 0o755))
	outputs := writeFiles(t, outDir, sorted(in), 700, 700, 2900) // one empty file

	inSum, err := Files(inputs...)
	require.NoError(t, err)
	require.Equal(t, uint64(3000), inSum.Records)
	require.Equal(t, checksum(in), inSum.Checksum)
	require.Error(t, inSum.Sorted(), "generated input is not sorted")

	outSum, err := Files(outputs...)
	require.NoError(t, err)
	require.NoError(t, outSum.Sorted())
	require.NoError(t, outSum.Match(inSum))
	require.Equal(t, uint64(0), outSum.Duplicates)
	require.Nil(t, outSum.FirstUnordered)
}

func TestDuplicates(t *testing.T) {
	in := records(t, gensort.Config{Records: 5000, Seed: 2, Keys: gensort.Zipf, ZipfKeys: 100})
	keys := make(map[string]bool)
	for _, r := range in {
		keys[string(r[:sortrec.KeySize])] = true
	}
	out := writeFiles(t, t.TempDir(), sorted(in), 2500)
	sum, err := Files(out...)
	require.NoError(t, err)
	require.NoError(t, sum.Sorted())
	require.Equal(t, uint64(len(in)-len(keys)), sum.Duplicates)
}

func TestChecksum(t *testing.T) {
	c := Checksum{Lo: math.MaxUint64 - 1}
	c.add(3)
	require.Equal(t, Checksum{Hi: 1, Lo: 1}, c)
	require.Equal(t, "10000000000000001", c.String())
	require.Equal(t, "c34e19c81885", Checksum{Lo: 0xc34e19c81885}.String())
	require.Equal(t, "0", Checksum{}.String())
}

func TestDisorderWithinFile(t *testing.T) {
	out := sorted(records(t, gensort.Config{Records: 100, Seed: 3}))
	out[57], out[58] = out[58], out[57]
	paths := writeFiles(t, t.TempDir(), out, 50)
	sum, err := Files(paths...)
	require.NoError(t, err)
	require.Equal(t, uint64(1), sum.Unordered)
	err = sum.Sorted()
	var d *Disorder
	require.True(t, errors.As(err, &d), "got %v; want a *Disorder", err)
	require.Equal(t, Disorder{File: paths[1], PrevFile: paths[1], Index: 8, Offset: 800, Record: 58,
		Key: string(out[58][:sortrec.KeySize]), PrevKey: string(out[57][:sortrec.KeySize])}, *d)
	require.ErrorContains(t, err, "1 of 100 records out of order")
	require.ErrorContains(t, err, "mr-out-1: record 8 (byte 800)")
	require.ErrorContains(t, err, "below the previous record's")
}

func TestDisorderAcrossBoundary(t *testing.T) {
	out := sorted(records(t, gensort.Config{Records: 100, Seed: 4}))
	dir := t.TempDir()
	paths := writeFiles(t, dir, slices.Concat(out[50:], out[:50]), 50)
	// An empty file between the two: the previous record is still the
	// last of the first file.
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	sum, err := Files(paths[0], empty, paths[1])
	require.NoError(t, err)
	require.Equal(t, uint64(1), sum.Unordered)
	d := sum.FirstUnordered
	require.Equal(t, paths[1], d.File)
	require.Equal(t, paths[0], d.PrevFile)
	require.Equal(t, int64(0), d.Index)
	require.Equal(t, uint64(50), d.Record)
	require.Equal(t, string(out[99][:sortrec.KeySize]), d.PrevKey)
	require.ErrorContains(t, sum.Sorted(), "the last record of "+paths[0])
}

func TestMalformed(t *testing.T) {
	recs := sorted(records(t, gensort.Config{Records: 20, Seed: 5}))
	data := bytes.Join(recs, nil)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"short last record", data[:len(data)-1], "record 19 (byte 1900): a partial record of 99 bytes at the end"},
		{"a stray byte", append(slices.Clone(data), 'x'), "record 20 (byte 2000): a partial record of 1 bytes"},
		{"no line end", slices.Concat(data[:599], []byte{' '}, data[600:]), `record 5 (byte 500): ends in`},
		{"a record one byte short", slices.Concat(data[:1099], data[1100:]), "record 10 (byte 1000): ends in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewChecker()
			err := c.Read("mr-out-3", bytes.NewReader(tt.data))
			require.ErrorContains(t, err, "mr-out-3: "+tt.want)
			require.True(t, errors.Is(err, sortrec.ErrFormat), "got %v; want it to wrap sortrec.ErrFormat", err)
		})
	}
}

func TestMatchCatchesDamage(t *testing.T) {
	in := records(t, gensort.Config{Records: 200, Seed: 6})
	out := sorted(in)
	inSum := summarize(t, in)
	require.NoError(t, summarize(t, out).Match(inSum))

	changed := slices.Clone(out)
	changed[10] = slices.Clone(changed[10])
	changed[10][70] ^= 1 // still a hex digit's neighbour, still printable
	dropped := slices.Delete(slices.Clone(out), 10, 11)
	repeated := slices.Insert(slices.Clone(out), 10, out[10])
	swapped := slices.Clone(out) // a record replaced by a copy of its neighbour
	swapped[11] = swapped[10]
	for name, bad := range map[string][][]byte{"changed": changed, "dropped": dropped, "repeated": repeated, "replaced": swapped} {
		err := summarize(t, bad).Match(inSum)
		require.True(t, errors.Is(err, ErrMismatch), "%s: got %v; want ErrMismatch", name, err)
	}
	require.ErrorContains(t, summarize(t, dropped).Match(inSum), "output has 199 records, input 200")
	require.ErrorContains(t, summarize(t, changed).Match(inSum), "output checksum")
}

// summarize returns the summary of recs read as one file.
func summarize(t *testing.T, recs [][]byte) Summary {
	t.Helper()
	c := NewChecker()
	require.NoError(t, c.Read("f", bytes.NewReader(bytes.Join(recs, nil))))
	return c.Summary()
}

func TestSmallReadsAndBuffers(t *testing.T) {
	recs := records(t, gensort.Config{Records: 57, Seed: 7, Keys: gensort.Zipf, ZipfKeys: 10})
	data := bytes.Join(recs, nil)
	want := summarize(t, recs)
	for _, bufRecs := range []int{1, 2, 7} {
		for name, r := range map[string]io.Reader{
			"one byte": iotest.OneByteReader(bytes.NewReader(data)),
			"half":     iotest.HalfReader(bytes.NewReader(data)),
		} {
			c := NewChecker()
			c.bufRecords = bufRecs
			require.NoError(t, c.Read("f", r), "%s reads, %d-record buffer", name, bufRecs)
			require.Equal(t, want, c.Summary(), "%s reads, %d-record buffer", name, bufRecs)
		}
	}
}

func TestReadErrors(t *testing.T) {
	failing := iotest.ErrReader(errors.New("disk on fire"))
	err := NewChecker().Read("mr-out-0", failing)
	require.ErrorContains(t, err, "read mr-out-0: disk on fire")

	_, err = Files(filepath.Join(t.TempDir(), "missing"))
	require.ErrorContains(t, err, "missing")

	sum, err := Files()
	require.NoError(t, err)
	require.Equal(t, Summary{}, sum)
	require.NoError(t, sum.Sorted())
}

func BenchmarkRead(b *testing.B) {
	recs := sorted(records(b, gensort.Config{Records: 1 << 16, Seed: 8}))
	data := bytes.Join(recs, nil)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := NewChecker().Read("f", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	in := records(t, gensort.Config{Records: 500, Seed: 3})
	inputs := writeFiles(t, dir, in, 250)
	outDir := filepath.Join(dir, "out")
	require.NoError(t, os.Mkdir(outDir, 0o755))
	outputs := writeFiles(t, outDir, sorted(in), 100, 300)

	sum, err := Validate(inputs, outputs)
	require.NoError(t, err)
	require.Equal(t, uint64(500), sum.Records)

	_, err = Validate(inputs, []string{outputs[1], outputs[0], outputs[2]})
	var d *Disorder
	require.ErrorAs(t, err, &d, "outputs out of order")
	require.Equal(t, outputs[0], d.File)
	require.Equal(t, outputs[1], d.PrevFile)

	_, err = Validate(inputs, outputs[:2])
	require.ErrorIs(t, err, ErrMismatch, "a missing output")
}
