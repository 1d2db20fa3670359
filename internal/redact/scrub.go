// Package redact keeps secrets out of what lanegate prints: a scrubber for
// exact values and password fragments, and the database-URL helpers that
// find a connection string's passwords and print it with them masked. The
// Actions runtime and the Postgres backend both use it; it imports neither.
package redact

import (
	"strings"
)

// MinLen is the shortest value the scrubber takes: shorter values would
// match ordinary text everywhere.
const MinLen = 4

// fragmentLen is the shortest piece of a password the fragment scrubber
// hunts for. Shorter pieces would match ordinary text everywhere.
const fragmentLen = 4

// Scrubber removes secrets from text in two ways:
//
//   - exact: every occurrence of a registered value (at least 4 bytes);
//   - fragments: for passwords registered with AddFragments, every run of
//     text made of pieces (4 bytes or longer) of a password that touches a
//     delimiter on at least one side. Those runs are what a driver's
//     partial redaction leaves behind: pgx prints
//     postgres://ro:P@ssw0rd:2024@db as postgres://ro:xxxxx@ssw0rd:xxxxxx@db,
//     and "ssw0rd" is no exact match of anything.
//
// Delimiters are the bytes that split connection strings and messages: the
// URL delimiters : @ / ? & = % ', whitespace, the quotes drivers quote input
// with (" and `), , ; ( ), and the start and end of the text. A run bounded
// on both sides by ordinary characters is kept, so a password sharing four
// letters with a word does not blank that word everywhere. Over-scrubbing
// is the safe side: with a password holding "2025", a timestamp
// "2025-06-01T..." prints as "***-06-01T...".
//
// A Scrubber is not safe for concurrent use; the Actions Runtime guards its own.
type Scrubber struct {
	exact map[string]struct{}
	grams map[uint32]struct{}
}

// NewScrubber returns an empty Scrubber.
func NewScrubber() *Scrubber {
	return &Scrubber{exact: map[string]struct{}{}, grams: map[uint32]struct{}{}}
}

// AddExact registers v for exact scrubbing. It reports whether v was new;
// values shorter than 4 bytes are ignored.
func (s *Scrubber) AddExact(v string) bool {
	if len(v) < MinLen {
		return false
	}
	if _, seen := s.exact[v]; seen {
		return false
	}
	s.exact[v] = struct{}{}
	return true
}

// AddFragments registers password for fragment scrubbing (and exact
// scrubbing). Passwords shorter than 4 bytes are ignored.
func (s *Scrubber) AddFragments(password string) {
	s.AddExact(password)
	for i := 0; i+fragmentLen <= len(password); i++ {
		s.grams[gram(password, i)] = struct{}{}
	}
}

// Empty reports whether nothing is registered.
func (s *Scrubber) Empty() bool { return len(s.exact) == 0 && len(s.grams) == 0 }

// Contains reports whether Scrub would change text.
func (s *Scrubber) Contains(text string) bool {
	for m := range s.exact {
		if strings.Contains(text, m) {
			return true
		}
	}
	if len(s.grams) == 0 {
		return false
	}
	return s.Scrub(text) != text
}

// Scrub replaces every exact secret and every delimited password fragment
// in text with "***". Overlapping or adjacent hits collapse into a single
// "***", so no byte of a hit survives.
func (s *Scrubber) Scrub(text string) string {
	if text == "" || s.Empty() {
		return text
	}
	covered := make([]bool, len(text))
	hit := false
	for m := range s.exact {
		for off := 0; off <= len(text)-len(m); {
			i := strings.Index(text[off:], m)
			if i < 0 {
				break
			}
			start := off + i
			for j := start; j < start+len(m); j++ {
				covered[j] = true
			}
			hit = true
			off = start + 1 // overlapping occurrences count too
		}
	}
	if s.markFragments(text, covered) {
		hit = true
	}
	if !hit {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); {
		if !covered[i] {
			b.WriteByte(text[i])
			i++
			continue
		}
		b.WriteString(redacted)
		for i < len(text) && covered[i] {
			i++
		}
	}
	return b.String()
}

// markFragments marks, in covered, every maximal run of text covered by
// 4-byte pieces of a registered password that touches a boundary: a
// delimiter, an exact hit or an end of the text. Delimiters at the run's
// edges stay visible.
func (s *Scrubber) markFragments(text string, covered []bool) bool {
	if len(s.grams) == 0 || len(text) < fragmentLen {
		return false
	}
	inRun := make([]bool, len(text))
	found := false
	for i := 0; i+fragmentLen <= len(text); i++ {
		if _, ok := s.grams[gram(text, i)]; ok {
			for j := i; j < i+fragmentLen; j++ {
				inRun[j] = true
			}
			found = true
		}
	}
	if !found {
		return false
	}
	boundary := func(i int) bool {
		return i < 0 || i >= len(text) || covered[i] || isFragmentDelim(text[i])
	}
	hit := false
	for i := 0; i < len(text); {
		if !inRun[i] {
			i++
			continue
		}
		start := i
		for i < len(text) && inRun[i] {
			i++
		}
		// Delimiters at the edges of a run belong to the password but
		// also bound it; keep them visible and judge what they enclose.
		a, b := start, i
		for a < b && isFragmentDelim(text[a]) {
			a++
		}
		for b > a && isFragmentDelim(text[b-1]) {
			b--
		}
		if a < b && (boundary(a-1) || boundary(b)) {
			for j := a; j < b; j++ {
				covered[j] = true
			}
			hit = true
		}
	}
	return hit
}

func gram(s string, i int) uint32 {
	return uint32(s[i])<<24 | uint32(s[i+1])<<16 | uint32(s[i+2])<<8 | uint32(s[i+3])
}

// isFragmentDelim reports whether c separates the parts of a connection
// string or a message.
func isFragmentDelim(c byte) bool {
	switch c {
	case ':', '@', '/', '?', '&', '=', '%', '\'', '"', '`', ',', ';', '(', ')',
		' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// ScrubDatabaseSecrets removes from msg the secrets of the connection string
// connString, exactly and as fragments. Drivers' messages about a
// connection string go through it before lanegate shows them.
func ScrubDatabaseSecrets(msg, connString string) string {
	s := NewScrubber()
	for _, v := range SecretsFromDatabaseURL(connString) {
		s.AddExact(v)
	}
	for _, p := range DatabasePasswords(connString) {
		s.AddFragments(p)
	}
	return s.Scrub(msg)
}
