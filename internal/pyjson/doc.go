// Package pyjson is lanegate's one JSON layer: decoding record payloads,
// writing them back exactly as Launchplane (Python) does, compact Go-style
// encoding for reports, re-indentation, and the Python string semantics
// Launchplane's normalisation relies on.
//
// Decoding:
//   - Decode parses one JSON value into a tree of *Object, []any, string,
//     json.Number, bool and nil, refusing duplicate keys, trailing data and
//     nesting deeper than MaxDepth, with encoding/json's messages (and a
//     line and column) for invalid JSON.
//   - Scanner reads values straight from the bytes without a tree, for the
//     record package's typed fast decoders; EachField walks a spool line.
//
// Encoding:
//   - EncodePython writes a tree as Python's
//     json.dumps(v, indent=2, sort_keys=True) does; AppendPyString writes
//     one string that way; Members and EncodePythonMembers re-encode an
//     object straight from its raw bytes.
//   - AppendString writes a string as encoding/json does (HTML escaping
//     off); AppendIndent re-indents compact JSON as json.Indent does.
//
// Python semantics: PyStrip, PyLower and PyRepr mirror str.strip(),
// str.lower() and repr(). A lone surrogate escape ("\ud800") decodes to its
// WTF-8 bytes, as Python keeps it as a code point; every function here
// handles it (see wtf8.go).
//
// The decoders and encoders are hand-written because a well-kept library
// measured slower on lanegate's hot paths and cannot keep Python's
// semantics (lone surrogates, ensure_ascii): bench_test.go measures each
// part against encoding/json and, under GOEXPERIMENT=jsonv2
// (bench_jsonv2_test.go), against encoding/json/v2 and jsontext on
// Launchplane's record payloads, and each part says beside it what it was
// measured at and how to reproduce the figure. Only a syntax error's
// message comes from encoding/json (Decode re-parses to explain it).
package pyjson
