package pyjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Object is a decoded JSON object that keeps key order and refuses duplicate
// keys. Launchplane payloads are small, so a slice plus map is plenty.
type Object struct {
	Keys   []string
	Values map[string]any
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{Values: map[string]any{}} }

// Set adds or replaces a key.
func (o *Object) Set(k string, v any) {
	if _, ok := o.Values[k]; !ok {
		o.Keys = append(o.Keys, k)
	}
	o.Values[k] = v
}

// Get returns the value for k.
func (o *Object) Get(k string) (any, bool) {
	v, ok := o.Values[k]
	return v, ok
}

// MaxDepth bounds nesting so hostile input cannot exhaust the stack.
const MaxDepth = 64

// Decode parses one JSON value into *Object, []any, string, json.Number,
// bool or nil. Duplicate keys, trailing data and nesting deeper than 64 are
// errors: a record file must say one thing unambiguously.
func Decode(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("payload is not valid UTF-8")
	}
	fp := NewScanner(data)
	v, err := fp.value(0)
	if err == nil {
		fp.skipSpace()
		if fp.pos == len(data) {
			return v, nil
		}
		return nil, fmt.Errorf("unexpected data after the JSON value at offset %d", fp.pos)
	} else if err != errSyntax {
		return nil, err
	}
	// Invalid JSON: encoding/json's messages say exactly what is wrong.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err = decodeValue(dec, 0)
	if err != nil {
		return nil, jsonSyntaxError(data, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON value at offset %d", dec.InputOffset())
	}
	return v, nil
}

func jsonSyntaxError(data []byte, dec *json.Decoder, err error) error {
	off := dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// The Decoder's SyntaxError offsets are relative to its read
		// window, not to the input. A full scan stops at the same first
		// error and reports its true offset: the offending byte's index
		// plus one, or len(data) when the input ends too early.
		var raw json.RawMessage
		if full := json.Unmarshal(data, &raw); errors.As(full, &se) {
			err, off = se, se.Offset
			if se.Error() != "unexpected end of JSON input" && off > 0 {
				off--
			}
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("unexpected end of JSON input")
	}
	line, col := lineCol(data, off)
	return fmt.Errorf("invalid JSON at line %d, column %d: %v", line, col, err)
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, errors.New("nesting is too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := NewObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				if _, dup := obj.Values[k]; dup {
					return nil, fmt.Errorf("duplicate key %q", k)
				}
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj.Set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %q", t)
	default:
		return t, nil
	}
}
