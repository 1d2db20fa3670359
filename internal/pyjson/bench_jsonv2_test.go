//go:build goexperiment.jsonv2

package pyjson_test

// The library variants: encoding/json/v2 and encoding/json/jsontext, which
// go1.26 offers only under GOEXPERIMENT=jsonv2 (lanegate itself never needs
// it). github.com/go-json-experiment/json is the same code out of tree.

import (
	"bytes"
	jsonv1 "encoding/json"
	"encoding/json/jsontext"
	jsonv2 "encoding/json/v2"
	"errors"
	"io"
	"sort"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/pyjson"
	"github.com/lanegate/lanegate/internal/record"
)

func init() {
	treeDecoders = append(treeDecoders, treeDecoder{"jsontext-tokens", jsontextTree})
	targetDecoders = append(targetDecoders,
		routeDecoder{"jsontext-tokens", treeThenValidate(jsontextTree)},
		routeDecoder{"json-v2-struct~", func(p []byte) error { var t targetStruct; return jsonv2.Unmarshal(p, &t) }})
	appenders = append(appenders,
		appender{"jsontext-tokens", jsontextFinding},
		appender{"json-v2-marshal", func(dst []byte, _ *audit.Finding, m *findingJSON) []byte {
			buf := bytes.NewBuffer(dst)
			if err := jsonv2.MarshalWrite(buf, m, jsonv2.Deterministic(true)); err != nil {
				panic(err)
			}
			return buf.Bytes()
		}})
	pyEncoders = append(pyEncoders, pyEncoder{"jsontext-multiline~", func(t *record.DokployTarget, _ *pyjson.Object) []byte {
		var buf bytes.Buffer
		enc := jsontext.NewEncoder(&buf, jsontext.Multiline(true), jsontext.WithIndent("  "))
		if err := jsontextWrite(enc, t.Payload()); err != nil {
			panic(err)
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}})
	indenters = append(indenters, indenter{"jsontext-format", func(dst, src []byte) []byte {
		out, err := jsontext.AppendFormat(dst, src, jsontext.Multiline(true), jsontext.WithIndentPrefix("    "), jsontext.WithIndent("  "))
		if err != nil {
			panic(err)
		}
		return out
	}})
}

// jsontextTree builds pyjson's tree from jsontext tokens. jsontext refuses
// duplicate names itself; it refuses a lone surrogate escape, which Python
// (and pyjson) keep as a code point.
func jsontextTree(data []byte) (any, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	v, err := jsontextValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, errTrailing
	}
	return v, nil
}

func jsontextValue(dec *jsontext.Decoder) (any, error) {
	if dec.StackDepth() > pyjson.MaxDepth {
		return nil, errors.New("nesting is too deep")
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	switch tok.Kind() {
	case '{':
		obj := pyjson.NewObject()
		for dec.PeekKind() != '}' {
			kt, err := dec.ReadToken()
			if err != nil {
				return nil, err
			}
			k := kt.String()
			v, err := jsontextValue(dec)
			if err != nil {
				return nil, err
			}
			obj.Set(k, v)
		}
		_, err := dec.ReadToken()
		return obj, err
	case '[':
		arr := []any{}
		for dec.PeekKind() != ']' {
			v, err := jsontextValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.ReadToken()
		return arr, err
	case '"':
		return tok.String(), nil
	case '0':
		return jsonv1.Number(tok.String()), nil
	case 't', 'f':
		return tok.Bool(), nil
	}
	return nil, nil
}

func jsontextWrite(enc *jsontext.Encoder, v any) error {
	switch t := v.(type) {
	case nil:
		return enc.WriteToken(jsontext.Null)
	case bool:
		return enc.WriteToken(jsontext.Bool(t))
	case string:
		return enc.WriteToken(jsontext.String(t))
	case int64:
		return enc.WriteToken(jsontext.Int(t))
	case jsonv1.Number:
		return enc.WriteValue(jsontext.Value(t))
	case []any:
		if err := enc.WriteToken(jsontext.BeginArray); err != nil {
			return err
		}
		for _, e := range t {
			if err := jsontextWrite(enc, e); err != nil {
				return err
			}
		}
		return enc.WriteToken(jsontext.EndArray)
	case *pyjson.Object:
		if err := enc.WriteToken(jsontext.BeginObject); err != nil {
			return err
		}
		keys := append([]string(nil), t.Keys...)
		sort.Strings(keys)
		for _, k := range keys {
			if err := enc.WriteToken(jsontext.String(k)); err != nil {
				return err
			}
			if err := jsontextWrite(enc, t.Values[k]); err != nil {
				return err
			}
		}
		return enc.WriteToken(jsontext.EndObject)
	}
	return errors.New("cannot encode")
}

// jsontextFinding writes the finding token by token, as a hand-written
// AppendJSON built on jsontext would.
func jsontextFinding(dst []byte, f *audit.Finding, _ *findingJSON) []byte {
	buf := bytes.NewBuffer(dst)
	enc := jsontext.NewEncoder(buf)
	str := func(k, v string) {
		enc.WriteToken(jsontext.String(k))
		enc.WriteToken(jsontext.String(v))
	}
	record := func(k string, p *record.ProviderTarget) {
		enc.WriteToken(jsontext.String(k))
		enc.WriteToken(jsontext.BeginObject)
		str("context", p.Context)
		str("display_name", p.DisplayName)
		str("instance", p.Instance)
		enc.WriteToken(jsontext.String("provider_evidence"))
		enc.WriteToken(jsontext.BeginObject)
		keys := make([]string, 0, len(p.ProviderEvidence))
		for k := range p.ProviderEvidence {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			str(k, p.ProviderEvidence[k])
		}
		enc.WriteToken(jsontext.EndObject)
		str("provider_id", p.ProviderID)
		str("provider_target_type", p.ProviderTargetType)
		enc.WriteToken(jsontext.String("schema_version"))
		enc.WriteToken(jsontext.Int(p.SchemaVersion))
		str("source_label", p.SourceLabel)
		str("target_category", p.TargetCategory)
		str("target_id", p.TargetID)
		str("updated_at", p.UpdatedAt)
		enc.WriteToken(jsontext.EndObject)
	}
	enc.WriteToken(jsontext.BeginObject)
	str("context", f.Context)
	str("detail", f.Detail)
	str("instance", f.Instance)
	if f.Physical != nil {
		record("physical_record", f.Physical)
	}
	if f.Projected != nil {
		record("projected_record", f.Projected)
	}
	str("severity", f.Severity)
	str("status", f.Status)
	if err := enc.WriteToken(jsontext.EndObject); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
