package actions

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// env is a fake environment for Config.Getenv.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// actionsEnv returns an environment that looks like a GitHub Actions job.
func actionsEnv() env { return env{"GITHUB_ACTIONS": "true"} }

// newTestRuntime builds a Runtime over e whose workflow commands land in the
// returned buffer.
func newTestRuntime(t testing.TB, e env, cfg Config) (*Runtime, *bytes.Buffer) {
	t.Helper()
	var stderr bytes.Buffer
	cfg.Getenv = e.get
	cfg.Stderr = &stderr
	return New(cfg), &stderr
}

// seqReader is a deterministic random source: every Read fills the buffer
// with one byte value, starting at next and incrementing per Read. With it
// the n-th delimiter (0-based) is DelimiterPrefix followed by 32 copies of
// the two-digit hex of n.
type seqReader struct{ next byte }

func (s *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = s.next
	}
	s.next++
	return len(p), nil
}

// seqDelimiter is the n-th delimiter produced by a fresh seqReader.
func seqDelimiter(n byte) string {
	return DelimiterPrefix + hex.EncodeToString(bytes.Repeat([]byte{n}, delimiterRandomBytes))
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

// output is one name/value pair read back from an output file.
type output struct{ Name, Value string }

// parseOutputs reads a GITHUB_OUTPUT file the way the Actions runner does
// on Linux: lines end at "\n"; empty lines are skipped; a line is either
// NAME=VALUE or NAME<<DELIMITER, the latter followed by value lines up to a
// line that equals DELIMITER exactly, joined with "\n".
func parseOutputs(data string) ([]output, error) {
	var out []output
	lines := strings.Split(data, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	} else {
		return nil, errors.New("file does not end with a newline")
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq := strings.Index(line, "=")
		hd := strings.Index(line, "<<")
		switch {
		case eq >= 0 && (hd < 0 || eq < hd):
			if eq == 0 {
				return nil, errors.New("empty name in " + line)
			}
			out = append(out, output{line[:eq], line[eq+1:]})
		case hd >= 0:
			name, delim := line[:hd], line[hd+2:]
			if name == "" || delim == "" {
				return nil, errors.New("invalid heredoc header " + line)
			}
			var body []string
			closed := false
			for i++; i < len(lines); i++ {
				if lines[i] == delim {
					closed = true
					break
				}
				body = append(body, lines[i])
			}
			if !closed {
				return nil, errors.New("matching delimiter not found for " + name)
			}
			out = append(out, output{name, strings.Join(body, "\n")})
		default:
			return nil, errors.New("invalid line " + line)
		}
	}
	return out, nil
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func tempPath(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(t.TempDir(), name)
}
