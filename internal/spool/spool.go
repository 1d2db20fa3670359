// Package spool keeps a stream of values as JSON lines in a temporary file,
// so a plan or report over a million routes holds one line in memory at a
// time. It is plain storage: it decides nothing.
package spool

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Appender is a value that writes its own compact JSON (plan items and
// findings do, for speed); other values go through encoding/json.
type Appender interface{ AppendJSON([]byte) []byte }

// Spool is an append-only temporary file of JSON lines. It is not safe for
// concurrent use.
type Spool struct {
	f   *os.File
	w   *bufio.Writer
	n   int
	buf []byte
}

// New creates the file with os.CreateTemp's pattern; call Close when done.
func New(pattern string) (*Spool, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return nil, fmt.Errorf("create spool file: %w", err)
	}
	return &Spool{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// Add appends v as one compact JSON line (HTML escaping off).
func (s *Spool) Add(v any) error {
	s.n++
	if a, ok := v.(Appender); ok {
		s.buf = append(a.AppendJSON(s.buf[:0]), '\n')
		_, err := s.w.Write(s.buf)
		return err
	}
	enc := json.NewEncoder(s.w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v) // one compact line
}

// Len is how many values were added.
func (s *Spool) Len() int { return s.n }

// Each replays the lines in order, without their newline. A line is only
// valid until fn returns. Adding may continue afterwards, even after fn
// failed.
func (s *Spool) Each(fn func(line []byte) error) error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	err := s.scan(fn)
	if _, serr := s.f.Seek(0, io.SeekEnd); err == nil {
		err = serr
	}
	return err
}

func (s *Spool) scan(fn func(line []byte) error) error {
	sc := bufio.NewScanner(s.f)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			return err
		}
	}
	return sc.Err()
}

// Close removes the file. A nil Spool is closed already.
func (s *Spool) Close() {
	if s == nil {
		return
	}
	s.f.Close()
	os.Remove(s.f.Name())
}
