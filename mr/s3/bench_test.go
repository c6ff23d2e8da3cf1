package s3_test

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/s3"
	"6.5840/mr/s3/s3test"
)

// benchObjectSize is the object of the benchmarks: four default parts.
const benchObjectSize = 4 * s3.DefaultPartSize

// BenchmarkMultipartUpload streams benchObjectSize bytes through a
// Writer to the local server and completes the upload.
func BenchmarkMultipartUpload(b *testing.B) {
	srv := s3test.Start(b)
	c := srv.Client(b)
	data := randomBytes(8, benchObjectSize)
	ctx := context.Background()
	b.SetBytes(benchObjectSize)
	for b.Loop() {
		w, err := c.NewWriter(ctx, bucket, "bench/upload")
		require.NoError(b, err)
		_, err = w.Write(data)
		require.NoError(b, err)
		require.NoError(b, w.Close())
	}
}

// BenchmarkRangedRead reads the second half of a benchObjectSize object
// from the local server.
func BenchmarkRangedRead(b *testing.B) {
	srv := s3test.Start(b)
	c := srv.Client(b)
	ctx := context.Background()
	_, err := c.PutObject(ctx, bucket, "bench/read", randomBytes(9, benchObjectSize), s3.PutOptions{})
	require.NoError(b, err)
	const half = benchObjectSize / 2
	b.SetBytes(half)
	for b.Loop() {
		r, err := c.NewReader(ctx, bucket, "bench/read", half, half, s3.ReadOptions{})
		require.NoError(b, err)
		n, err := io.Copy(io.Discard, r)
		require.NoError(b, err)
		require.Equal(b, int64(half), n)
		require.NoError(b, r.Close())
	}
}
