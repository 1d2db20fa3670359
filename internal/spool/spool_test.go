package spool

import (
	"errors"
	"os"
	"reflect"
	"testing"
)

type appended string

func (a appended) AppendJSON(dst []byte) []byte { return append(dst, `{"a":"`+string(a)+`"}`...) }

func TestSpoolReplaysInOrderAndKeepsAppending(t *testing.T) {
	s, err := New("lanegate-spooltest-*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	name := s.f.Name()
	lines := func() []string {
		var out []string
		if err := s.Each(func(l []byte) error { out = append(out, string(l)); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if err := s.Add(map[string]string{"k": "<v>"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(appended("x")); err != nil {
		t.Fatal(err)
	}
	if got, want := lines(), []string{`{"k":"<v>"}`, `{"a":"x"}`}; !reflect.DeepEqual(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
	// A replay that stops early leaves the spool ready for more.
	stop := errors.New("stop")
	if err := s.Each(func([]byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Each = %v, want the callback's error", err)
	}
	if err := s.Add(appended("y")); err != nil {
		t.Fatal(err)
	}
	if got, want := lines(), []string{`{"k":"<v>"}`, `{"a":"x"}`, `{"a":"y"}`}; !reflect.DeepEqual(got, want) {
		t.Errorf("after an early stop: lines %q, want %q", got, want)
	}
	if s.Len() != 3 {
		t.Errorf("Len = %d, want 3", s.Len())
	}
	s.Close()
	if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left %s (stat: %v)", name, err)
	}
	var none *Spool
	none.Close()
}
