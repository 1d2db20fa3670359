package record

import "github.com/lanegate/lanegate/internal/pyjson"

// A record payload's JSON is pyjson's: the names below are the record
// package's payload API, kept so that stores and commands speak of records,
// not of the JSON layer.

// Object is a decoded JSON object that keeps key order (pyjson.Object).
type Object = pyjson.Object

// NewObject returns an empty object.
func NewObject() *Object { return pyjson.NewObject() }

// DecodeTree parses one record payload into a tree (pyjson.Decode).
func DecodeTree(data []byte) (any, error) { return pyjson.Decode(data) }

// EncodePython writes a payload tree exactly as Launchplane writes state
// files (pyjson.EncodePython).
func EncodePython(v any) []byte { return pyjson.EncodePython(v) }

// FindLoneSurrogate returns the path of the first string in a payload tree
// that holds a lone surrogate (pyjson.FindLoneSurrogate).
func FindLoneSurrogate(v any) (string, bool) { return pyjson.FindLoneSurrogate(v) }

// PyStrip mirrors Python's str.strip() (pyjson.PyStrip).
func PyStrip(s string) string { return pyjson.PyStrip(s) }

// PyLower mirrors Python's str.lower() (pyjson.PyLower).
func PyLower(s string) string { return pyjson.PyLower(s) }

// PyRepr mirrors Python's repr() of a str (pyjson.PyRepr).
func PyRepr(s string) string { return pyjson.PyRepr(s) }
