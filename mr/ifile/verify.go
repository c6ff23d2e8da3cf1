package ifile

import (
	"io"
)

// Verify reads one whole section from r and checks it as a Reader would,
// every block checksum, record boundary and the trailer, without decoding
// records into strings; it returns the number of records. Bytes after the
// trailer are an error. Errors wrap ErrFormat, except errors reading r,
// and name the section by name.
func Verify(r io.Reader, name string) (records int64, err error) {
	return verify(r, name, blockTarget)
}

// verify is Verify for a section written with the given block target.
func verify(r io.Reader, name string, target int) (int64, error) {
	s := newScanner(r, name, unknownSize, target)
	defer s.release()
	if _, err := s.header(); err != nil {
		return 0, err
	}
	for {
		_, payload, err := s.block()
		if err != nil {
			return 0, err
		}
		if payload == nil {
			break
		}
	}
	if _, err := s.trailer(); err != nil {
		return 0, err
	}
	return int64(s.records), nil
}

// NewVerifyingReader returns a reader of the section read from r whose
// bytes it passes on unchanged, each block only once its checksum and
// records have been checked, and the trailer only once it is checked and
// nothing follows it; it then returns io.EOF. On damage it returns an
// error wrapping ErrFormat instead, having passed on only good blocks:
// a prefix of the section, which the caller must then discard. Memory
// stays at about one block, whatever the size of the section.
func NewVerifyingReader(r io.Reader, name string) io.Reader {
	return newVerifyingReader(r, name, blockTarget)
}

// CopyVerified copies the section read from src to dst through a
// verifying reader (see NewVerifyingReader), returning the number of
// bytes written. Whatever the error, every byte written was checked, but
// after an error dst holds only part of the section.
func CopyVerified(dst io.Writer, src io.Reader, name string) (int64, error) {
	return io.Copy(dst, NewVerifyingReader(src, name))
}

// newVerifyingReader is NewVerifyingReader for a section written with
// the given block target.
func newVerifyingReader(r io.Reader, name string, target int) *verifyingReader {
	return &verifyingReader{s: newScanner(r, name, unknownSize, target)}
}

// verifyingReader passes on a section's bytes once checked.
type verifyingReader struct {
	s *scanner
	// begun is set once the header is read.
	begun bool
	// pending holds checked bytes not yet passed on, and err what comes
	// after them: io.EOF after the trailer, or the error that stopped
	// the scanner.
	pending []byte
	err     error
}

// advance checks the next part of the section and returns its bytes.
func (v *verifyingReader) advance() ([]byte, error) {
	if !v.begun {
		v.begun = true
		return v.s.header()
	}
	raw, payload, err := v.s.block()
	if err != nil || payload != nil {
		return raw, err
	}
	raw, err = v.s.trailer()
	if err == nil {
		err = io.EOF
	}
	return raw, err
}

// Read implements io.Reader.
func (v *verifyingReader) Read(p []byte) (int, error) {
	for len(v.pending) == 0 {
		if v.err != nil {
			return 0, v.err
		}
		v.pending, v.err = v.advance()
	}
	n := copy(p, v.pending)
	v.pending = v.pending[n:]
	return n, nil
}

// WriteTo implements io.WriterTo, writing each checked block straight
// from the scanner's buffer.
func (v *verifyingReader) WriteTo(w io.Writer) (int64, error) {
	var written int64
	for {
		if len(v.pending) > 0 {
			n, err := w.Write(v.pending)
			if err == nil && n < len(v.pending) {
				err = io.ErrShortWrite
			}
			written += int64(n)
			v.pending = v.pending[n:]
			if err != nil {
				return written, err
			}
			continue
		}
		if v.err == io.EOF {
			return written, nil
		}
		if v.err != nil {
			return written, v.err
		}
		v.pending, v.err = v.advance()
	}
}
