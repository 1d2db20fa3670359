// Package record models Launchplane's Dokploy target, Dokploy target-id and
// provider-target records: strict decoding with Launchplane's normalisation,
// the projection of a Dokploy pair into a provider-target record, the
// filesystem record id, and Launchplane's exact JSON file format.
package record

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Kind names one of the three record kinds by its storage name.
type Kind string

const (
	KindDokployTarget   Kind = "dokploy_target"
	KindDokployTargetID Kind = "dokploy_target_id"
	KindProviderTarget  Kind = "provider_target"
)

// Dir is the filesystem state directory that holds records of this kind.
func (k Kind) Dir() string {
	switch k {
	case KindDokployTarget:
		return "dokploy_targets"
	case KindDokployTargetID:
		return "dokploy_target_ids"
	case KindProviderTarget:
		return "launchplane_provider_targets"
	}
	return ""
}

// Table is the Launchplane Postgres table that holds records of this kind.
func (k Kind) Table() string {
	switch k {
	case KindDokployTarget:
		return "launchplane_dokploy_targets"
	case KindDokployTargetID:
		return "launchplane_dokploy_target_ids"
	case KindProviderTarget:
		return "launchplane_provider_targets"
	}
	return ""
}

// Kinds lists the record kinds in a fixed order.
var Kinds = []Kind{KindDokployTarget, KindDokployTargetID, KindProviderTarget}

// DeployTargetCategories are the provider-target categories Launchplane allows.
var DeployTargetCategories = []string{"application", "compose", "container", "service", "static", "unknown"}

// ProviderIDDokploy is the provider id of every projected record.
const ProviderIDDokploy = "dokploy"

// DokployTarget is the subset of a Dokploy target record that the projection
// uses, plus the whole normalised payload so it can be written back verbatim.
type DokployTarget struct {
	Context, Instance string
	ProjectName       string
	TargetType        string // "compose" or "application"
	TargetName        string
	UpdatedAt         string
	SourceLabel       string
	// payload is the normalised tree; a record decoded on the fast path
	// keeps its raw bytes instead and builds the tree on demand.
	payload *Object
	raw     string
}

// Payload returns the whole normalised record, as Launchplane dumps it.
func (t *DokployTarget) Payload() *Object {
	if t.payload != nil {
		return t.payload
	}
	full, err := decodeDokployTargetTree([]byte(t.raw))
	if err != nil {
		// The fast decoder accepts only what the tree decoder accepts
		// (FuzzFastDecoders holds it to that), so this cannot happen.
		panic("lanegate: Dokploy target payload decoded once but not twice: " + err.Error())
	}
	return full.payload
}

// DokployTargetID records which Dokploy application or compose a route uses.
type DokployTargetID struct {
	SchemaVersion     int64
	Context, Instance string
	TargetID          string
	UpdatedAt         string
	SourceLabel       string
}

// ProviderTarget is the explicit provider-target identity record.
type ProviderTarget struct {
	SchemaVersion      int64
	Context            string
	Instance           string
	ProviderID         string
	TargetCategory     string
	TargetID           string
	DisplayName        string
	ProviderTargetType string
	ProviderEvidence   map[string]string
	UpdatedAt          string
	SourceLabel        string
}

// Identity is what makes two provider-target rows point at the same target.
type Identity struct {
	ProviderID, Category, TargetID string
}

// Identity returns the row's cross-route identity.
func (p *ProviderTarget) Identity() Identity {
	return Identity{ProviderID: p.ProviderID, Category: p.TargetCategory, TargetID: p.TargetID}
}

var dokployTargetKeys = []string{
	"schema_version", "context", "instance", "project_name", "target_type", "target_name",
	"git_branch", "source_git_ref", "source_type", "custom_git_url", "custom_git_branch",
	"compose_path", "watch_paths", "enable_submodules", "require_test_gate", "require_prod_gate",
	"deploy_timeout_seconds", "healthcheck_enabled", "healthcheck_path",
	"healthcheck_timeout_seconds", "env", "domains", "public_hosts", "policies", "updated_at",
	"source_label",
}

var dokployTargetIDKeys = []string{"schema_version", "context", "instance", "target_id", "updated_at", "source_label"}

var providerTargetKeys = []string{
	"schema_version", "context", "instance", "provider_id", "target_category", "target_id",
	"display_name", "provider_target_type", "provider_evidence", "updated_at", "source_label",
}

func decodeObject(data []byte) (*Object, *FieldError) {
	tree, err := DecodeTree(data)
	if err != nil {
		return nil, &FieldError{Msg: err.Error()}
	}
	obj, ok := tree.(*Object)
	if !ok {
		return nil, &FieldError{Msg: "payload must be a JSON object, got " + typeName(tree)}
	}
	return obj, nil
}

func schemaVersion(obj *Object) (int64, *FieldError) {
	v, present, err := optInt(obj, "", "schema_version", 1, false)
	if err != nil {
		return 0, err
	}
	if !present {
		return 1, nil
	}
	return v.(int64), nil
}

// requiredStripped reads a required string and strips it; empty after
// stripping is an error, as in Launchplane.
func requiredStripped(obj *Object, key, what string) (string, *FieldError) {
	s, err := str(obj, "", key, true, "")
	if err != nil {
		return "", err
	}
	s = PyStrip(s)
	if s == "" {
		return "", fieldErr(key, "%s requires a non-empty value", what)
	}
	return s, nil
}

// DecodeDokployTarget strictly decodes and normalises a Dokploy target record.
func DecodeDokployTarget(data []byte) (*DokployTarget, error) {
	if t, ok := fastDokployTarget(data); ok {
		return t, nil
	}
	return decodeDokployTargetTree(data)
}

func decodeDokployTargetTree(data []byte) (*DokployTarget, error) {
	obj, ferr := decodeObject(data)
	if ferr != nil {
		return nil, ferr
	}
	t, ferr := dokployTargetFromObject(obj, true)
	if ferr != nil {
		return nil, ferr
	}
	return t, nil
}

// dokployTargetFromObject validates obj; owned says the caller hands obj over
// (a freshly decoded payload), so it is normalised in place, not copied.
func dokployTargetFromObject(obj *Object, owned bool) (*DokployTarget, *FieldError) {
	if err := checkKeys(obj, "", dokployTargetKeys); err != nil {
		return nil, err
	}
	sv, err := schemaVersion(obj)
	if err != nil {
		return nil, err
	}
	t := &DokployTarget{}
	const what = "Dokploy target record"
	if t.Context, err = requiredStripped(obj, "context", what); err != nil {
		return nil, err
	}
	if t.Instance, err = requiredStripped(obj, "instance", what); err != nil {
		return nil, err
	}
	if t.UpdatedAt, err = requiredStripped(obj, "updated_at", what); err != nil {
		return nil, err
	}
	if t.ProjectName, err = str(obj, "", "project_name", false, ""); err != nil {
		return nil, err
	}
	if t.TargetType, err = str(obj, "", "target_type", false, "compose"); err != nil {
		return nil, err
	}
	if t.TargetType != "compose" && t.TargetType != "application" {
		return nil, fieldErr("target_type", "must be \"compose\" or \"application\", got %q", t.TargetType)
	}
	if t.TargetName, err = str(obj, "", "target_name", false, ""); err != nil {
		return nil, err
	}
	if t.SourceLabel, err = str(obj, "", "source_label", false, ""); err != nil {
		return nil, err
	}
	for _, k := range []string{"git_branch", "source_git_ref", "source_type", "custom_git_url", "custom_git_branch", "compose_path", "healthcheck_path"} {
		if _, err := str(obj, "", k, false, ""); err != nil {
			return nil, err
		}
	}
	norm := obj
	if !owned {
		norm = NewObject()
		for _, k := range obj.Keys {
			norm.Set(k, obj.Values[k])
		}
	}
	norm.Set("schema_version", sv)
	norm.Set("context", t.Context)
	norm.Set("instance", t.Instance)
	norm.Set("updated_at", t.UpdatedAt)
	for _, k := range []string{"watch_paths", "domains"} {
		if v, ok := obj.Get(k); ok {
			if _, err := strList(v, k); err != nil {
				return nil, err
			}
		}
	}
	for _, spec := range []struct {
		key      string
		nullable bool
	}{{"enable_submodules", true}, {"require_test_gate", false}, {"require_prod_gate", false}, {"healthcheck_enabled", false}} {
		v, present, err := optBool(obj, "", spec.key, spec.nullable)
		if err != nil {
			return nil, err
		}
		if present {
			norm.Set(spec.key, v)
		}
	}
	for _, k := range []string{"deploy_timeout_seconds", "healthcheck_timeout_seconds"} {
		v, present, err := optInt(obj, "", k, 1, true)
		if err != nil {
			return nil, err
		}
		if present {
			norm.Set(k, v)
		}
	}
	if v, ok := obj.Get("env"); ok {
		if _, err := strMap(v, "env"); err != nil {
			return nil, err
		}
	}
	if v, ok := obj.Get("public_hosts"); ok {
		hosts, err := publicHosts(v)
		if err != nil {
			return nil, err
		}
		norm.Set("public_hosts", strListAny(hosts))
	}
	if v, ok := obj.Get("policies"); ok {
		if err := checkPolicies(v); err != nil {
			return nil, err
		}
	}
	t.payload = norm
	return t, nil
}

var hostLabel = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// publicHosts applies Launchplane's hostname rules: lower-cased, stripped, at
// least two labels, numeric-only TLD refused, no duplicates, sorted.
func publicHosts(v any) ([]string, *FieldError) {
	list, err := strList(v, "public_hosts")
	if err != nil {
		return nil, err
	}
	if len(list) > 64 {
		return nil, fieldErr("public_hosts", "at most 64 hosts are allowed, got %d", len(list))
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(list))
	for i, h := range list {
		field := fmt.Sprintf("public_hosts[%d]", i)
		h = PyLower(PyStrip(h))
		labels := strings.Split(h, ".")
		if len(h) > 253 || len(labels) < 2 {
			return nil, fieldErr(field, "%q is not a DNS hostname", h)
		}
		for _, l := range labels {
			if !hostLabel.MatchString(l) {
				return nil, fieldErr(field, "%q is not a DNS hostname", h)
			}
		}
		if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
			return nil, fieldErr(field, "%q has a numeric top-level label", h)
		}
		if seen[h] {
			return nil, fieldErr(field, "duplicate host %q", h)
		}
		seen[h] = true
		out = append(out, h)
	}
	sort.Strings(out)
	return out, nil
}

var integrationName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func checkPolicies(v any) *FieldError {
	pol, err := asObject(v, "policies")
	if err != nil {
		return err
	}
	if err := checkKeys(pol, "policies", []string{"shopify", "integration_allowances", "staff_testing_hold"}); err != nil {
		return err
	}
	if sv, ok := pol.Get("shopify"); ok {
		shop, err := asObject(sv, "policies.shopify")
		if err != nil {
			return err
		}
		if err := checkKeys(shop, "policies.shopify", []string{"protected_store_keys"}); err != nil {
			return err
		}
		if kv, ok := shop.Get("protected_store_keys"); ok {
			keys, err := strList(kv, "policies.shopify.protected_store_keys")
			if err != nil {
				return err
			}
			for i, k := range keys {
				if PyStrip(k) == "" {
					return fieldErr(fmt.Sprintf("policies.shopify.protected_store_keys[%d]", i), "must be non-empty")
				}
			}
		}
	}
	if av, ok := pol.Get("integration_allowances"); ok {
		arr, isArr := av.([]any)
		if !isArr {
			return fieldErr("policies.integration_allowances", "expected an array, got %s", typeName(av))
		}
		seen := map[string]bool{}
		for i, e := range arr {
			field := fmt.Sprintf("policies.integration_allowances[%d]", i)
			a, err := asObject(e, field)
			if err != nil {
				return err
			}
			if err := checkKeys(a, field, []string{"integration", "kind", "reason", "evidence", "recorded_by", "recorded_at"}); err != nil {
				return err
			}
			name, err := str(a, field, "integration", true, "")
			if err != nil {
				return err
			}
			name = PyLower(PyStrip(name))
			if !integrationName.MatchString(name) {
				return fieldErr(field+".integration", "%q is not a valid integration name", name)
			}
			if seen[name] {
				return fieldErr(field+".integration", "duplicate integration %q", name)
			}
			seen[name] = true
			kind, err := str(a, field, "kind", true, "")
			if err != nil {
				return err
			}
			if !contains([]string{"dev_store", "read_only_source", "pre_live"}, kind) {
				return fieldErr(field+".kind", "must be dev_store, read_only_source or pre_live, got %q", kind)
			}
			reason, err := str(a, field, "reason", true, "")
			if err != nil {
				return err
			}
			if PyStrip(reason) == "" {
				return fieldErr(field+".reason", "must be non-empty")
			}
			evidence, err := str(a, field, "evidence", false, "")
			if err != nil {
				return err
			}
			if kind == "read_only_source" && PyStrip(evidence) == "" {
				return fieldErr(field+".evidence", "is required for read_only_source allowances")
			}
			for _, k := range []string{"recorded_by", "recorded_at"} {
				if _, err := str(a, field, k, false, ""); err != nil {
					return err
				}
			}
		}
	}
	if hv, ok := pol.Get("staff_testing_hold"); ok && hv != nil {
		h, err := asObject(hv, "policies.staff_testing_hold")
		if err != nil {
			return err
		}
		if err := checkKeys(h, "policies.staff_testing_hold", []string{"reason", "recorded_by", "recorded_at"}); err != nil {
			return err
		}
		reason, err := str(h, "policies.staff_testing_hold", "reason", true, "")
		if err != nil {
			return err
		}
		if PyStrip(reason) == "" {
			return fieldErr("policies.staff_testing_hold.reason", "must be non-empty")
		}
		for _, k := range []string{"recorded_by", "recorded_at"} {
			if _, err := str(h, "policies.staff_testing_hold", k, false, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// DecodeDokployTargetID strictly decodes and normalises a target-id record.
func DecodeDokployTargetID(data []byte) (*DokployTargetID, error) {
	if r, ok := fastDokployTargetID(data); ok {
		return r, nil
	}
	return decodeDokployTargetIDTree(data)
}

func decodeDokployTargetIDTree(data []byte) (*DokployTargetID, error) {
	obj, ferr := decodeObject(data)
	if ferr != nil {
		return nil, ferr
	}
	r, ferr := dokployTargetIDFromObject(obj)
	if ferr != nil {
		return nil, ferr
	}
	return r, nil
}

func dokployTargetIDFromObject(obj *Object) (*DokployTargetID, *FieldError) {
	if err := checkKeys(obj, "", dokployTargetIDKeys); err != nil {
		return nil, err
	}
	var err *FieldError
	r := &DokployTargetID{}
	if r.SchemaVersion, err = schemaVersion(obj); err != nil {
		return nil, err
	}
	const what = "Dokploy target-id record"
	if r.Context, err = requiredStripped(obj, "context", what); err != nil {
		return nil, err
	}
	if r.Instance, err = requiredStripped(obj, "instance", what); err != nil {
		return nil, err
	}
	if r.TargetID, err = requiredStripped(obj, "target_id", what); err != nil {
		return nil, err
	}
	if r.UpdatedAt, err = requiredStripped(obj, "updated_at", what); err != nil {
		return nil, err
	}
	if r.SourceLabel, err = str(obj, "", "source_label", false, ""); err != nil {
		return nil, err
	}
	return r, nil
}

// Payload returns the record as Launchplane dumps it.
func (r *DokployTargetID) Payload() *Object {
	o := NewObject()
	o.Set("context", r.Context)
	o.Set("instance", r.Instance)
	o.Set("schema_version", r.SchemaVersion)
	o.Set("source_label", r.SourceLabel)
	o.Set("target_id", r.TargetID)
	o.Set("updated_at", r.UpdatedAt)
	return o
}

// DecodeProviderTarget strictly decodes and normalises a provider-target record.
func DecodeProviderTarget(data []byte) (*ProviderTarget, error) {
	if p, ok := fastProviderTarget(data); ok {
		return p, nil
	}
	return decodeProviderTargetTree(data)
}

func decodeProviderTargetTree(data []byte) (*ProviderTarget, error) {
	obj, ferr := decodeObject(data)
	if ferr != nil {
		return nil, ferr
	}
	p, ferr := providerTargetFromObject(obj)
	if ferr != nil {
		return nil, ferr
	}
	return p, nil
}

func providerTargetFromObject(obj *Object) (*ProviderTarget, *FieldError) {
	if err := checkKeys(obj, "", providerTargetKeys); err != nil {
		return nil, err
	}
	var err *FieldError
	p := &ProviderTarget{}
	if p.SchemaVersion, err = schemaVersion(obj); err != nil {
		return nil, err
	}
	fields := []struct {
		key      string
		dst      *string
		required bool
		def      string
	}{
		{"context", &p.Context, true, ""},
		{"instance", &p.Instance, true, ""},
		{"provider_id", &p.ProviderID, true, ""},
		{"target_category", &p.TargetCategory, false, "unknown"},
		{"target_id", &p.TargetID, true, ""},
		{"display_name", &p.DisplayName, true, ""},
		{"provider_target_type", &p.ProviderTargetType, false, ""},
		{"updated_at", &p.UpdatedAt, true, ""},
		{"source_label", &p.SourceLabel, false, ""},
	}
	for _, f := range fields {
		if *f.dst, err = str(obj, "", f.key, f.required, f.def); err != nil {
			return nil, err
		}
	}
	if !contains(DeployTargetCategories, p.TargetCategory) {
		return nil, fieldErr("target_category", "must be one of %s, got %q", strings.Join(DeployTargetCategories, ", "), p.TargetCategory)
	}
	p.ProviderEvidence = map[string]string{}
	if v, ok := obj.Get("provider_evidence"); ok {
		m, err := strMap(v, "provider_evidence")
		if err != nil {
			return nil, err
		}
		keys := v.(*Object).Keys
		p.ProviderEvidence = evidenceByStrippedKey(keys, func(i int) string { return m[keys[i]] })
	}
	if err := p.normalize(); err != nil {
		return nil, err
	}
	return p, nil
}

// evidenceByStrippedKey builds provider_evidence from its keys in payload
// order. Launchplane rebuilds the dict in key order, so when two keys strip to
// the same key the later one wins; stripping happens here, in order, because
// normalize walks a Go map, whose order is random. A key that strips to "" is
// kept as is for normalize to refuse.
func evidenceByStrippedKey(keys []string, value func(i int) string) map[string]string {
	out := make(map[string]string, len(keys))
	for i, k := range keys {
		sk := PyStrip(k)
		if sk == "" {
			sk = k
		}
		out[sk] = value(i)
	}
	return out
}

// normalize applies Launchplane's provider-target normalisation: strip the
// text fields, strip and lower-case provider_id and provider_target_type,
// require the identity fields, and rebuild provider_evidence.
func (p *ProviderTarget) normalize() *FieldError {
	p.Context = PyStrip(p.Context)
	p.Instance = PyStrip(p.Instance)
	p.TargetID = PyStrip(p.TargetID)
	p.DisplayName = PyStrip(p.DisplayName)
	p.UpdatedAt = PyStrip(p.UpdatedAt)
	p.SourceLabel = PyStrip(p.SourceLabel)
	p.ProviderID = PyLower(PyStrip(p.ProviderID))
	p.ProviderTargetType = PyLower(PyStrip(p.ProviderTargetType))
	for _, f := range []struct{ key, val string }{
		{"context", p.Context}, {"instance", p.Instance}, {"provider_id", p.ProviderID},
		{"target_id", p.TargetID}, {"display_name", p.DisplayName}, {"updated_at", p.UpdatedAt},
	} {
		if f.val == "" {
			return fieldErr(f.key, "provider target record requires a non-empty %s", f.key)
		}
	}
	ev := make(map[string]string, len(p.ProviderEvidence))
	for k, v := range p.ProviderEvidence {
		sk := PyStrip(k)
		if sk == "" {
			return fieldErr("provider_evidence", "evidence keys must be non-empty")
		}
		ev[sk] = PyStrip(v)
	}
	p.ProviderEvidence = ev
	return nil
}

// Payload returns the full 11-key record as Launchplane dumps it.
func (p *ProviderTarget) Payload() *Object {
	o := NewObject()
	o.Set("context", p.Context)
	o.Set("display_name", p.DisplayName)
	o.Set("instance", p.Instance)
	o.Set("provider_evidence", strMapObject(p.ProviderEvidence))
	o.Set("provider_id", p.ProviderID)
	o.Set("provider_target_type", p.ProviderTargetType)
	o.Set("schema_version", p.SchemaVersion)
	o.Set("source_label", p.SourceLabel)
	o.Set("target_category", p.TargetCategory)
	o.Set("target_id", p.TargetID)
	o.Set("updated_at", p.UpdatedAt)
	return o
}

// AuthorityEqual compares the six keys Launchplane's backfill compares; it
// ignores updated_at, source_label and schema_version.
func (p *ProviderTarget) AuthorityEqual(q *ProviderTarget) bool {
	return p.ProviderID == q.ProviderID && p.TargetCategory == q.TargetCategory &&
		p.TargetID == q.TargetID && p.DisplayName == q.DisplayName &&
		p.ProviderTargetType == q.ProviderTargetType && EvidenceEqual(p.ProviderEvidence, q.ProviderEvidence)
}

// EvidenceEqual compares two provider_evidence maps.
func EvidenceEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// ProjectionError explains why a Dokploy pair cannot be projected.
type ProjectionError struct{ Msg string }

func (e *ProjectionError) Error() string { return e.Msg }

// Project builds the provider-target record implied by a Dokploy target and
// target-id pair, following Launchplane's from_dokploy_records exactly.
func Project(t *DokployTarget, id *DokployTargetID) (*ProviderTarget, error) {
	if t.Context != id.Context {
		return nil, &ProjectionError{Msg: "Dokploy target context does not match the target-id context"}
	}
	if t.Instance != id.Instance {
		return nil, &ProjectionError{Msg: "Dokploy target instance does not match the target-id instance"}
	}
	display := t.Instance
	if t.TargetName != "" { // truthy, not stripped first
		display = t.TargetName
	}
	evidence := map[string]string{}
	if t.ProjectName != "" {
		evidence["project_name"] = t.ProjectName
	}
	updated := t.UpdatedAt
	if id.UpdatedAt > updated { // plain string maximum, as Python's max()
		updated = id.UpdatedAt
	}
	label := PyStrip(t.SourceLabel)
	if label == "" {
		label = PyStrip(id.SourceLabel)
	}
	p := &ProviderTarget{
		SchemaVersion:      1,
		Context:            t.Context,
		Instance:           t.Instance,
		ProviderID:         ProviderIDDokploy,
		TargetCategory:     t.TargetType,
		TargetID:           id.TargetID,
		DisplayName:        display,
		ProviderTargetType: t.TargetType,
		ProviderEvidence:   evidence,
		UpdatedAt:          updated,
		SourceLabel:        label,
	}
	if err := p.normalize(); err != nil {
		return nil, &ProjectionError{Msg: "projected provider-target record is invalid: " + err.Error()}
	}
	return p, nil
}

// RecordID is Launchplane's filesystem record id for a (context, instance)
// route: the stripped parts joined by "-" with path separators replaced, then
// the first 12 hex digits of SHA-256 over the parts joined by U+001F.
func RecordID(context, instance string) string {
	parts := []string{PyStrip(context), PyStrip(instance)}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	raw := strings.Join(parts, "-")
	raw = strings.NewReplacer("/", "-", `\`, "-").Replace(raw)
	return raw + "-" + hex.EncodeToString(sum[:])[:12]
}

// FileName is the state file name for a route.
func FileName(context, instance string) string { return RecordID(context, instance) + ".json" }

// MarshalJSON writes the record with its keys in sorted order (as
// Launchplane's sort_keys output) and provider_evidence always an object.
func (p ProviderTarget) MarshalJSON() ([]byte, error) {
	return p.AppendJSON(nil), nil
}

// UnmarshalJSON reads a record back from a lanegate report (already
// normalised by the run that wrote it).
func (p *ProviderTarget) UnmarshalJSON(data []byte) error {
	q, err := DecodeProviderTarget(data)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

// DokployTargetFromObject validates an already-decoded payload.
func DokployTargetFromObject(obj *Object) (*DokployTarget, error) {
	t, err := dokployTargetFromObject(obj, false)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// NewDokployTargetPayload returns a Dokploy target payload with every field
// at Launchplane's default, as its model dump writes it (None-valued fields
// and an empty public_hosts are left out). Tests and fixtures start here.
func NewDokployTargetPayload(context, instance, updatedAt string) *Object {
	o := NewObject()
	o.Set("schema_version", int64(1))
	o.Set("context", context)
	o.Set("instance", instance)
	o.Set("project_name", "")
	o.Set("target_type", "compose")
	o.Set("target_name", "")
	o.Set("git_branch", "")
	o.Set("source_git_ref", "origin/main")
	o.Set("source_type", "")
	o.Set("custom_git_url", "")
	o.Set("custom_git_branch", "")
	o.Set("compose_path", "")
	o.Set("watch_paths", []any{})
	o.Set("require_test_gate", false)
	o.Set("require_prod_gate", false)
	o.Set("healthcheck_enabled", true)
	o.Set("healthcheck_path", "/web/health")
	o.Set("env", NewObject())
	o.Set("domains", []any{})
	shop := NewObject()
	shop.Set("protected_store_keys", []any{})
	pol := NewObject()
	pol.Set("shopify", shop)
	pol.Set("integration_allowances", []any{})
	o.Set("policies", pol)
	o.Set("updated_at", updatedAt)
	o.Set("source_label", "")
	return o
}
