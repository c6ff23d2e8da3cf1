// Package journal makes a coordinator's progress survive its own crash.
//
// The journal is a file of JSON lines next to the job's files. The first
// line identifies the job (a fingerprint of its inputs and nReduce); every
// coordinator start appends a start line, and every committed task a commit
// line, written before the commit is acknowledged (and, for a reduce
// task, synced to disk: see Commit). A committed map output found lost
// later gets a lost line, which cancels its commit. The
// application the job runs (a hash of the plugin) is recorded once, so
// that a resumed job refuses workers that run another. A job in total
// order records its split points once, synced, before any map task runs:
// a restarted coordinator partitions by the same ones.
//
// Two kinds of line are written without a sync, because losing them in a
// machine crash costs nothing but tidiness: a begin line for every attempt
// handed out (cleanup at the end removes the files of every attempt begun,
// before a restart too) and a worker line for every registration (so that
// a restarted coordinator never reuses a worker id).
//
// A coordinator started again on the same job replays the file and re-runs
// only what was not committed. A torn last line, left by a crash in
// mid-write, is dropped.
//
// Every line is the CRC-32C of its JSON in 8 hex digits, a space, and the
// JSON. Replay trusts nothing it cannot check: a line whose checksum does
// not match, a record that cannot be right for this job (an attempt
// number below 1, a task index out of range, an unknown kind) or a journal
// written by an earlier version (no checksums) is refused, naming the
// line. A reduce commit records the size and CRC-32C of its mr-out file,
// so that a resumed job can check the file is still the one committed.
package journal

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"6.5840/mr/atomicfile"
	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// ErrOtherJob is returned (wrapped) when the journal belongs to another job.
var ErrOtherJob = errors.New("journal belongs to another job")

// record is one line of the journal. Exactly one field group is set:
// Job; Start; Worker; App; TotalOrder and Splits; or Kind, Task and Attempt, with Begin or Lost
// or neither (a commit).
type record struct {
	Job     string    `json:"job,omitempty"`
	Start   int       `json:"start,omitempty"`
	Worker  int       `json:"worker,omitempty"`
	App     string    `json:"app,omitempty"`
	Kind    task.Kind `json:"kind,omitempty"`
	Task    int       `json:"task,omitempty"`
	Attempt int       `json:"attempt,omitempty"`
	// Begin marks an attempt handed out.
	Begin bool `json:"begin,omitempty"`
	// Completing marks a reduce attempt whose output upload the
	// coordinator is about to complete (its output is in a bucket).
	Completing bool `json:"completing,omitempty"`
	// Lost marks a committed map output found lost: the commit no longer
	// holds.
	Lost bool `json:"lost,omitempty"`
	// Skipped marks a map task given up on: its input is left out.
	Skipped bool `json:"skipped,omitempty"`
	// Counters are the committed attempt's counters.
	Counters map[string]int64 `json:"counters,omitempty"`
	// Server is where a committed map attempt's output is served, if not
	// in the shared folder.
	Server string `json:"server,omitempty"`
	// SegmentTask and SegmentAttempt name the segment file a committed
	// map attempt's output is in, Length bytes from Offset, if it is in
	// one.
	SegmentTask    int   `json:"seg_task,omitempty"`
	SegmentAttempt int   `json:"seg_attempt,omitempty"`
	Offset         int64 `json:"offset,omitempty"`
	Length         int64 `json:"length,omitempty"`
	// Size and CRC describe a committed reduce attempt's output file.
	Size int64  `json:"size,omitempty"`
	CRC  uint32 `json:"crc,omitempty"`
	// ETag is a committed reduce attempt's output object's, when the
	// output is in a bucket.
	ETag string `json:"etag,omitempty"`
	// TotalOrder marks the split points of a job in total order, Splits
	// (as bytes, so that any key survives JSON: base64); there may be
	// none.
	TotalOrder bool     `json:"total_order,omitempty"`
	Splits     [][]byte `json:"splits,omitempty"`
}

func (r record) attempt() task.AttemptID {
	return task.AttemptID{Task: task.ID{Kind: r.Kind, Index: r.Task}, Attempt: r.Attempt}
}

// extent returns where in a segment file a map commit's output is.
func (r record) extent() jobfiles.Extent {
	if r.Length == 0 {
		return jobfiles.Extent{}
	}
	seg := task.AttemptID{Task: task.ID{Kind: task.Map, Index: r.SegmentTask}, Attempt: r.SegmentAttempt}
	return jobfiles.Extent{Segment: seg, Offset: r.Offset, Length: r.Length}
}

// Commit is a task that committed (or, with Skipped, was skipped).
type Commit struct {
	Attempt  task.AttemptID
	Skipped  bool
	Counters map[string]int64
	// Server is where a map attempt's output is served; "" for the shared
	// folder. Extent is where in a segment file it is, if it is in one.
	Server string
	Extent jobfiles.Extent
	// Size and CRC are the size and CRC-32C (Castagnoli) of a reduce
	// attempt's output file.
	Size int64
	CRC  uint32
	// ETag is the ETag of a reduce attempt's output object, when the
	// job's output is in a bucket (then CRC is not recorded).
	ETag string
}

// Shape is how many tasks of each kind the job has: a record naming a
// task outside it cannot be right.
type Shape struct {
	Maps, Reduces int
}

// crcTable is the CRC-32C table of the journal's line checksums.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// sumDigits is the width of a line's checksum, in hex digits.
const sumDigits = 8

// State is what a journal says about the job so far.
type State struct {
	// Starts counts earlier coordinator starts on this job.
	Starts int
	// Commits are the commits that still hold, in journal order.
	Commits []Commit
	// Begun lists every attempt handed out.
	Begun []task.AttemptID
	// Completing lists the reduce attempts whose output uploads a
	// coordinator began to complete (Journal.Completing).
	Completing []task.AttemptID
	// LastWorker is the highest worker id registered.
	LastWorker int
	// App identifies the job's application, once a worker has registered.
	App string
	// HasSplits is set once the split points of a job in total order are
	// recorded: Splits, in increasing order (perhaps none).
	HasSplits bool
	Splits    []string
}

// Journal appends commits to the journal file.
type Journal struct {
	path string

	// mu guards f's write offset and written.
	mu      sync.Mutex
	f       *os.File
	written int64

	// syncMu serializes fsyncs and guards synced. Appends that find their
	// bytes already synced by another append skip the fsync (group commit).
	syncMu sync.Mutex
	synced int64
}

// Fingerprint identifies a job by its inputs (name, size, modification
// time) and shape, a string of the settings that decide its tasks.
func Fingerprint(inputs []string, shape string) (string, error) {
	ids := make([]InputID, len(inputs))
	for i, name := range inputs {
		info, err := os.Stat(name)
		if err != nil {
			return "", fmt.Errorf("input %s: %w", name, err)
		}
		ids[i] = InputID{Name: name, Size: info.Size(), Version: strconv.FormatInt(info.ModTime().UnixNano(), 10)}
	}
	return FingerprintInputs(ids, shape), nil
}

// InputID identifies one version of an input: its name, size, and
// modification time (a file) or ETag (an object).
type InputID struct {
	Name    string
	Size    int64
	Version string
}

// FingerprintInputs is Fingerprint of inputs already identified.
func FingerprintInputs(inputs []InputID, shape string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", shape)
	for _, in := range inputs {
		fmt.Fprintf(h, "%q %d %s\n", in.Name, in.Size, in.Version)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Open opens or creates the journal at path for the job with fingerprint
// job and shape, returns what it records, and appends a start line.
func Open(path, job string, shape Shape) (*Journal, State, error) {
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	// O_APPEND: every line lands at the end of the file, whatever else
	// wrote to it.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, State{}, fmt.Errorf("open journal: %w", err)
	}
	if created {
		// The new file's name must survive a crash as much as its lines.
		if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, State{}, fmt.Errorf("journal %s: %w", path, err)
		}
	}
	state, end, err := replay(f, path, job, shape)
	if err != nil {
		f.Close()
		return nil, State{}, err
	}
	// Drop a torn last line: appends go after the last good one.
	if err := f.Truncate(end); err != nil {
		f.Close()
		return nil, State{}, fmt.Errorf("journal %s: %w", path, err)
	}
	j := &Journal{path: path, f: f, written: end, synced: end}
	if end == 0 {
		if err := j.append(record{Job: job}); err != nil {
			f.Close()
			return nil, State{}, err
		}
	}
	if err := j.append(record{Start: state.Starts + 1}); err != nil {
		f.Close()
		return nil, State{}, err
	}
	return j, state, nil
}

// Read returns what the journal at path records, whatever job it is for,
// without writing to it: a reader for tests and tools. A coordinator may
// be appending to it meanwhile; a line it is still writing is left out,
// as a torn one.
func Read(path string, shape Shape) (State, error) {
	f, err := os.Open(path)
	if err != nil {
		return State{}, fmt.Errorf("open journal: %w", err)
	}
	defer f.Close()
	state, _, err := replay(f, path, anyJob, shape)
	return state, err
}

// anyJob, as replay's job, accepts the journal of any job.
const anyJob = ""

// replay reads the journal of job (or, with anyJob, of whatever job its
// first line names) and returns its state and the offset just past the
// last complete line.
func replay(r io.Reader, path, job string, shape Shape) (State, int64, error) {
	var state State
	br := bufio.NewReader(r)
	var offset int64
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			// A line without its newline is torn: ignore it.
			return state, offset, nil
		}
		if err != nil {
			return State{}, 0, fmt.Errorf("read journal %s: %w", path, err)
		}
		rec, err := parseLine(line, lineNo)
		if err == nil && lineNo > 1 {
			err = rec.check(shape)
		}
		if err != nil {
			return State{}, 0, fmt.Errorf("journal %s line %d: %w", path, lineNo, err)
		}
		switch {
		case lineNo == 1 && (rec.Job == "" || job != anyJob && rec.Job != job):
			return State{}, 0, fmt.Errorf("%s: %w (its inputs or nreduce differ); "+
				"remove it to start this job afresh, or run in another directory", path, ErrOtherJob)
		case lineNo == 1:
		case rec.Start > 0:
			state.Starts = rec.Start
		case rec.Worker > 0:
			state.LastWorker = max(state.LastWorker, rec.Worker)
		case rec.App != "":
			state.App = rec.App
		case rec.TotalOrder:
			state.HasSplits, state.Splits = true, splitKeys(rec.Splits)
		case rec.Begin:
			state.Begun = append(state.Begun, rec.attempt())
		case rec.Completing:
			state.Completing = append(state.Completing, rec.attempt())
		case rec.Lost:
			state.Commits = slices.DeleteFunc(state.Commits, func(c Commit) bool { return c.Attempt == rec.attempt() })
		default:
			state.Commits = append(state.Commits, Commit{Attempt: rec.attempt(), Skipped: rec.Skipped,
				Counters: rec.Counters, Server: rec.Server, Extent: rec.extent(), Size: rec.Size, CRC: rec.CRC, ETag: rec.ETag})
		}
		offset += int64(len(line))
	}
}

// parseLine checks a line's checksum and decodes its record.
func parseLine(line []byte, lineNo int) (record, error) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	var rec record
	if lineNo == 1 && bytes.HasPrefix(line, []byte("{")) {
		return rec, errors.New("written by an earlier version of mrcoordinator, without checksums; " +
			"finish the job with the mrcoordinator that started it, or remove the journal to start the job afresh")
	}
	sum, data, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(sum) != sumDigits {
		return rec, errors.New("damaged: no checksum; remove the file to start the job afresh")
	}
	want, err := strconv.ParseUint(string(sum), 16, 32)
	if err != nil {
		return rec, errors.New("damaged: no checksum; remove the file to start the job afresh")
	}
	if crc32.Checksum(data, crcTable) != uint32(want) {
		return rec, errors.New("damaged: its checksum does not match; remove the file to start the job afresh")
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("damaged: %v; remove the file to start the job afresh", err)
	}
	return rec, nil
}

// check refuses a record (other than the first line's) that cannot be
// right for a job of this shape.
func (r record) check(shape Shape) error {
	switch {
	case r.Job != "":
		return errors.New("a second job line")
	case r.Start < 0 || r.Worker < 0:
		return errors.New("a negative start or worker number")
	case r.Start > 0 || r.Worker > 0 || r.App != "":
		return nil
	case r.TotalOrder:
		return checkSplits(r.Splits, shape)
	}
	n := 0
	switch r.Kind {
	case task.Map:
		n = shape.Maps
	case task.Reduce:
		n = shape.Reduces
	default:
		return fmt.Errorf("unknown record kind %d", r.Kind)
	}
	switch {
	case r.Task < 0 || r.Task >= n:
		return fmt.Errorf("%v task %d does not exist in this job (%d of them)", r.Kind, r.Task, n)
	case r.Skipped && (r.Kind != task.Map || r.Attempt != 0 || r.Begin || r.Lost):
		return fmt.Errorf("a skipped task must be a map task without an attempt")
	case !r.Skipped && r.Attempt < 1:
		return fmt.Errorf("attempt %d of %v-%d: attempts are numbered from 1", r.Attempt, r.Kind, r.Task)
	case r.Lost && r.Kind != task.Map:
		return errors.New("only a map output can be lost")
	case r.Completing && (r.Kind != task.Reduce || r.Begin || r.Lost || r.Skipped):
		return errors.New("only a reduce output is completed")
	case r.Size < 0:
		return fmt.Errorf("negative output size %d", r.Size)
	case r.Length != 0 || r.Offset != 0 || r.SegmentTask != 0 || r.SegmentAttempt != 0:
		return r.checkExtent(shape)
	}
	return nil
}

// checkExtent refuses a segment file's extent that cannot be right: one
// outside a map commit, of no bytes or at a negative offset, or in the
// segment of a map attempt that cannot exist.
func (r record) checkExtent(shape Shape) error {
	switch {
	case r.Kind != task.Map || r.Begin || r.Lost || r.Skipped:
		return errors.New("only a committed map output is in a segment file")
	case r.Length < 1 || r.Offset < 0:
		return fmt.Errorf("a map output of %d bytes at offset %d of a segment file", r.Length, r.Offset)
	case r.SegmentTask < 0 || r.SegmentTask >= shape.Maps || r.SegmentAttempt < 1:
		return fmt.Errorf("a map output in the segment file of map task %d attempt %d, which cannot exist", r.SegmentTask, r.SegmentAttempt)
	}
	return nil
}

// Commit records that attempt committed its task (or that a map task was
// skipped). A reduce commit is durable when Commit returns. A map commit
// is written but not waited for: a map output is not synced to disk
// either, so after a machine crash it may be gone whatever the journal
// says, and a lost map output is simply made again; a coordinator crash
// loses neither. Syncing every map commit would only slow tiny tasks down.
func (j *Journal) Commit(c Commit) error {
	rec := record{Kind: c.Attempt.Task.Kind, Task: c.Attempt.Task.Index, Attempt: c.Attempt.Attempt,
		Skipped: c.Skipped, Counters: c.Counters, Server: c.Server, Size: c.Size, CRC: c.CRC, ETag: c.ETag}
	if e := c.Extent; e.InSegment() {
		rec.SegmentTask, rec.SegmentAttempt, rec.Offset, rec.Length = e.Segment.Task.Index, e.Segment.Attempt, e.Offset, e.Length
	}
	if c.Attempt.Task.Kind == task.Map {
		return j.write(rec)
	}
	return j.append(rec)
}

// Completing durably records that the coordinator is about to complete
// reduce attempt id's output upload: an output object found on resume
// without a commit, but with this line, is the job's own (the
// coordinator died between completing and journaling the commit).
func (j *Journal) Completing(id task.AttemptID) error {
	return j.append(record{Kind: id.Task.Kind, Task: id.Task.Index, Attempt: id.Attempt, Completing: true})
}

// Lost durably records that the output of committed attempt id was lost:
// its commit no longer holds.
func (j *Journal) Lost(id task.AttemptID) error {
	return j.append(record{Kind: id.Task.Kind, Task: id.Task.Index, Attempt: id.Attempt, Lost: true})
}

// Splits durably records the split points of a job in total order, in
// increasing order: a restarted coordinator partitions by the same ones,
// so that committed map outputs stay valid.
func (j *Journal) Splits(splits []string) error {
	rec := record{TotalOrder: true, Splits: make([][]byte, len(splits))}
	for i, s := range splits {
		rec.Splits[i] = []byte(s)
	}
	return j.append(rec)
}

// checkSplits refuses split points that cannot be a job's: more than one
// fewer than its reduce tasks, or not in increasing order.
func checkSplits(splits [][]byte, shape Shape) error {
	if len(splits) >= max(shape.Reduces, 1) {
		return fmt.Errorf("%d split points for %d reduce tasks", len(splits), shape.Reduces)
	}
	for i := 1; i < len(splits); i++ {
		if bytes.Compare(splits[i-1], splits[i]) >= 0 {
			return fmt.Errorf("split point %d is not above the one before it", i)
		}
	}
	return nil
}

// splitKeys returns split points as the strings they were.
func splitKeys(splits [][]byte) []string {
	keys := make([]string, len(splits))
	for i, s := range splits {
		keys[i] = string(s)
	}
	return keys
}

// App durably records the application the job runs.
func (j *Journal) App(app string) error { return j.append(record{App: app}) }

// Begin records, without waiting for the disk, that attempt id was handed
// out.
func (j *Journal) Begin(id task.AttemptID) error {
	return j.write(record{Kind: id.Task.Kind, Task: id.Task.Index, Attempt: id.Attempt, Begin: true})
}

// Worker records, without waiting for the disk, that worker id registered.
func (j *Journal) Worker(id int) error {
	return j.write(record{Worker: id})
}

// write appends rec as a line and returns the journal's size after it.
func (j *Journal) write(rec record) error {
	_, err := j.writeLine(rec)
	return err
}

func (j *Journal) writeLine(rec record) (int64, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return 0, err
	}
	line := fmt.Appendf(nil, "%08x %s\n", crc32.Checksum(data, crcTable), data)
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err = j.f.Write(line); err != nil {
		return 0, fmt.Errorf("append to journal %s: %w", j.path, err)
	}
	j.written += int64(len(line))
	return j.written, nil
}

// append writes rec as a line and returns once it is on disk.
func (j *Journal) append(rec record) error {
	mine, err := j.writeLine(rec)
	if err != nil {
		return err
	}

	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if j.synced >= mine {
		return nil
	}
	j.mu.Lock()
	target := j.written
	j.mu.Unlock()
	if err := syncData(j.f); err != nil {
		return fmt.Errorf("sync journal %s: %w", j.path, err)
	}
	j.synced = target
	return nil
}

// Close closes the journal file.
func (j *Journal) Close() error { return j.f.Close() }

// Remove closes and deletes the journal: the job is over.
func (j *Journal) Remove() error {
	j.f.Close()
	if err := os.Remove(j.path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove journal: %w", err)
	}
	return nil
}
