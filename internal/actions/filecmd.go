package actions

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Step summary limits. GitHub rejects a step summary larger than
// SummaryLimit; callers shape their content to SummaryBudget so that the
// hard limit is only ever hit as a last resort.
const (
	SummaryLimit  = 1 << 20
	SummaryBudget = 900 << 10
)

// SummaryTruncatedNote is appended when AddSummary has to cut content to stay
// within SummaryLimit.
const SummaryTruncatedNote = "\n\n> lanegate: summary truncated at the 1 MiB step limit; see the JSON report.\n"

// DelimiterPrefix starts every heredoc delimiter SetOutput writes; a random
// hex suffix follows.
const DelimiterPrefix = "ghadelimiter_"

// delimiterRandomBytes is the number of random bytes in a delimiter.
const delimiterRandomBytes = 16

// Errors returned by SetOutput. They never quote the offending value.
var (
	ErrInvalidOutputName = errors.New("invalid output name")
	ErrOutputHasSecret   = errors.New("output value contains a masked secret")
	ErrOutputDelimiter   = errors.New("output value collides with the heredoc delimiter")
	ErrOutputNotUTF8     = errors.New("output value is not valid UTF-8")
)

// SetOutput appends a step output to the output file (GITHUB_OUTPUT or
// Config.OutputFile) as a heredoc with a fresh random delimiter:
//
//	name<<ghadelimiter_<32 hex digits>
//	value
//	ghadelimiter_<32 hex digits>
//
// It is a no-op returning nil when no output file is configured.
//
// It returns an error, and writes nothing, when name is not a valid output
// name (a letter or '_' followed by letters, digits, '-' or '_'), when value
// is not valid UTF-8 (the runner would mangle it), when value contains a
// masked secret (outputs are never redacted silently), or when value
// contains the delimiter even after drawing a second one.
func (r *Runtime) SetOutput(name, value string) error {
	if r.outputFile == "" {
		return nil
	}
	if !validOutputName(name) {
		return fmt.Errorf("set output %q: %w", name, ErrInvalidOutputName)
	}
	if !utf8.ValidString(value) {
		return fmt.Errorf("set output %q: %w", name, ErrOutputNotUTF8)
	}
	if r.containsSecret(value) {
		return fmt.Errorf("set output %q: %w", name, ErrOutputHasSecret)
	}

	var delim string
	for attempt := 0; ; attempt++ {
		d, err := r.newDelimiter()
		if err != nil {
			return fmt.Errorf("set output %q: %w", name, err)
		}
		if !strings.Contains(value, d) {
			delim = d
			break
		}
		if attempt == 1 {
			return fmt.Errorf("set output %q: %w", name, ErrOutputDelimiter)
		}
	}

	record := name + "<<" + delim + "\n" + value + "\n" + delim + "\n"
	r.mu.Lock()
	err := appendFile(r.outputFile, []byte(record))
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("set output %q: %w", name, err)
	}
	return nil
}

func (r *Runtime) newDelimiter() (string, error) {
	buf := make([]byte, delimiterRandomBytes)
	r.mu.Lock()
	_, err := io.ReadFull(r.random, buf)
	r.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("generate delimiter: %w", err)
	}
	return DelimiterPrefix + hex.EncodeToString(buf), nil
}

func validOutputName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && (c == '-' || '0' <= c && c <= '9'):
		default:
			return false
		}
	}
	return true
}

func appendFile(path string, data []byte) (err error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	_, err = f.Write(data)
	return err
}

// AddSummary appends markdown, redacted, to the step summary file
// (GITHUB_STEP_SUMMARY or Config.SummaryFile); it is a no-op when none is
// configured. Nothing is added: callers supply their own line breaks.
//
// AddSummary enforces SummaryLimit over everything in the file (the larger
// of the bytes this Runtime wrote and the file's current size). When an
// append would cross it, AddSummary writes as much as fits, cut at the last
// line break (or else at a UTF-8 boundary), followed by
// SummaryTruncatedNote, and returns nil. Later calls are then no-ops.
func (r *Runtime) AddSummary(markdown string) (err error) {
	if r.summaryFile == "" || markdown == "" {
		return nil
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.summaryTruncated {
		return nil
	}
	markdown = r.redactLocked(markdown)

	f, err := os.OpenFile(r.summaryFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("add step summary: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("add step summary: %w", cerr)
		}
	}()

	used := r.summaryWritten
	if st, serr := f.Stat(); serr == nil && st.Mode().IsRegular() && st.Size() > used {
		used = st.Size()
	}

	chunk := markdown
	if used+int64(len(markdown)) > SummaryLimit {
		r.summaryTruncated = true
		room := SummaryLimit - used - int64(len(SummaryTruncatedNote))
		if room < 0 {
			return nil // not even the note fits; writing anything would break the limit
		}
		chunk = cutSummary(markdown, int(room)) + SummaryTruncatedNote
	}

	n, werr := f.Write([]byte(chunk))
	r.summaryWritten += int64(n)
	if werr != nil {
		return fmt.Errorf("add step summary: %w", werr)
	}
	return nil
}

// cutSummary returns the longest prefix of s of at most room bytes that ends
// at a line break, or, when the prefix holds no line break, ends on a UTF-8
// boundary.
func cutSummary(s string, room int) string {
	if room >= len(s) {
		return s
	}
	cut := room
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if nl := strings.LastIndexByte(s[:cut], '\n'); nl >= 0 {
		cut = nl + 1
	}
	return s[:cut]
}
