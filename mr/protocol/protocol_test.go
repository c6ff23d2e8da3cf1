package protocol

import (
	"bytes"
	"encoding/gob"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/totalorder"
)

// TestLargestSampleReportFitsTheRequestLimit: a sample attempt's report
// of SampleKeys keys of the longest kept length, with counters, is one
// gob message under MaxRequestBytes.
func TestLargestSampleReportFitsTheRequestLimit(t *testing.T) {
	keys := make([]string, SampleKeys)
	for i := range keys {
		keys[i] = strings.Repeat(string(rune('a'+i%26)), totalorder.MaxKeyBytes)
	}
	args := ReportArgs{Header: Header{Worker: 1 << 20, Epoch: strings.Repeat("e", 16), Session: strings.Repeat("s", 32),
		RequestID: "w1048576-1000000"}, Keys: keys, WantTask: true,
		Counters: map[string]int64{CounterMapInputBytes: 1 << 40, CounterMapOutputRecords: 1 << 40}}
	var buf bytes.Buffer
	require.NoError(t, gob.NewEncoder(&buf).Encode(&args))
	require.Less(t, buf.Len(), MaxRequestBytes)
	t.Logf("largest sample report: %d bytes of %d", buf.Len(), MaxRequestBytes)
}
