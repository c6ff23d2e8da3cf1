package status

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzRenderHostile renders the page, the JSON and the progress line of a
// snapshot whose inputs, hosts, addresses, errors and counter names come
// from the fuzzer: the page never holds an unescaped "<script", and
// neither output fails.
func FuzzRenderHostile(f *testing.F) {
	for _, seed := range [][4]string{
		{"<script>alert(1)</script>", `host"><script>`, "</title><script>x</script>", "<SCRIPT src=x>"},
		{"in\xff\xfe.txt", "h\x00st", "err\u2028or", "c\xc3\x28"},
		{`'"&<>`, "]]><!--", "<svg onload=alert(1)>", "<ScRiPt"},
		{"", "", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	f.Fuzz(func(t *testing.T, input, host, errText, counter string) {
		s := fixture()
		s.Job.State, s.Job.Error = JobFailed, errText
		s.Job.Skipped = []string{input}
		s.Workers[0].Host, s.Workers[0].Server, s.Workers[0].Current = host, host, input
		s.Tasks[0].Input, s.Tasks[0].ID = input, input
		s.Attempts[0].Error, s.Attempts[0].ID, s.Attempts[0].Task = errText, input, input
		s.Counters = map[string]int64{counter: 1, host: 2}
		var page bytes.Buffer
		if err := RenderPage(&page, s, fixtureNow, pageRefresh); err != nil {
			t.Fatalf("render: %v", err)
		}
		if strings.Contains(strings.ToLower(page.String()), "<script") {
			t.Fatalf("page holds an unescaped <script")
		}
		if _, err := json.Marshal(s); err != nil {
			t.Fatalf("json: %v", err)
		}
		ProgressLine(s, fixtureNow.Add(time.Second))
	})
}
