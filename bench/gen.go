package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/fixture"
	"github.com/lanegate/lanegate/internal/record"
)

// instances are the three instances every context gets, in byte order.
var instances = [...]string{"prod", "staging", "testing"}

// kind is what the generator decided for one route.
type kind int

const (
	kindComplete kind = iota
	kindMissingProvider
	kindIdentityMismatch
	kindDisplayMismatch
	kindMissingTargetID
	kindMissingTarget
	kindFutureProvider
	kindDuplicatePair
)

// mix is the cumulative probability of each kind for one draw. A duplicate
// draw produces two routes, so 0.5% of draws give ~1% of routes.
var mix = []struct {
	upTo float64
	k    kind
}{
	{0.855, kindComplete},
	{0.905, kindMissingProvider},
	{0.925, kindIdentityMismatch},
	{0.945, kindDisplayMismatch},
	{0.965, kindMissingTargetID},
	{0.985, kindMissingTarget},
	{0.995, kindFutureProvider},
	{1.0, kindDuplicatePair},
}

// generator yields n routes deterministically from a seed. Contexts are
// numbered through a seeded permutation so the load order is not the key
// order, as in a table Launchplane filled over time.
type generator struct {
	n        int
	pairOnly bool // every route a complete Dokploy pair without a provider row
	rng      *rand.Rand
	perm     []int32
	slot     int
	pending  *fixture.Route // second half of a duplicate pair
	// Expected audit finding counts, by status.
	Expected map[string]int
}

func newGenerator(n int, seed uint64, pairOnly bool) *generator {
	nCtx := (n + len(instances) - 1) / len(instances)
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	perm := make([]int32, nCtx)
	for i := range perm {
		perm[i] = int32(i)
	}
	rng.Shuffle(nCtx, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	return &generator{n: n, pairOnly: pairOnly, rng: rng, perm: perm, Expected: map[string]int{}}
}

// route names slot k.
func (g *generator) route(k int) (string, string) {
	return fmt.Sprintf("ctx-%07d", g.perm[k/len(instances)]), instances[k%len(instances)]
}

// next returns up to max routes; an empty slice means done.
func (g *generator) next(max int) []fixture.Route {
	out := make([]fixture.Route, 0, max)
	for len(out) < max && g.slot < g.n {
		if g.pending != nil {
			out = append(out, *g.pending)
			g.pending = nil
			g.slot++
			continue
		}
		out = append(out, g.draw())
		g.slot++
	}
	return out
}

func (g *generator) timestamp() string {
	return fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02dZ", 1+g.rng.IntN(6), 1+g.rng.IntN(28),
		g.rng.IntN(24), g.rng.IntN(60), g.rng.IntN(60))
}

// pair builds a Dokploy target and target-id with realistic variety.
func (g *generator) pair(ctx, inst, targetID string) (*record.DokployTarget, *record.DokployTargetID) {
	targetType := "compose"
	if g.rng.IntN(10) < 6 {
		targetType = "application"
	}
	targetName := ctx + "-" + inst
	if g.rng.IntN(10) == 0 {
		targetName = "" // display name falls back to the instance
	}
	projectName := ctx + "-project"
	if g.rng.IntN(20) == 0 {
		projectName = "" // no provider evidence
	}
	branch := "main"
	if inst != "prod" {
		branch = inst
	}
	p := record.NewDokployTargetPayload(ctx, inst, g.timestamp())
	p.Set("project_name", projectName)
	p.Set("target_type", targetType)
	p.Set("target_name", targetName)
	p.Set("git_branch", branch)
	p.Set("source_git_ref", "origin/"+branch)
	p.Set("domains", []any{inst + "." + ctx + ".example.com"})
	env := record.NewObject()
	env.Set("LOG_LEVEL", "info")
	env.Set("WORKERS", fmt.Sprint(1+g.rng.IntN(8)))
	p.Set("env", env)
	p.Set("source_label", "launchplane:dokploy-sync")
	t, err := record.DokployTargetFromObject(p)
	if err != nil {
		panic(fmt.Sprintf("generated Dokploy target %s/%s is invalid: %v", ctx, inst, err))
	}
	if targetID == "" {
		targetID = targetType[:3] + "-" + ctx + "-" + inst
	}
	id := &record.DokployTargetID{SchemaVersion: 1, Context: ctx, Instance: inst, TargetID: targetID,
		UpdatedAt: g.timestamp(), SourceLabel: "launchplane:dokploy-sync"}
	return t, id
}

func (g *generator) draw() fixture.Route {
	ctx, inst := g.route(g.slot)
	if g.pairOnly {
		t, i := g.pair(ctx, inst, "")
		g.Expected[audit.StatusMissingProviderTarget]++
		return fixture.Route{Target: t, TargetID: i}
	}
	u := g.rng.Float64()
	k := kindComplete
	for _, m := range mix {
		if u < m.upTo {
			k = m.k
			break
		}
	}
	if k == kindDuplicatePair && g.slot+1 >= g.n {
		k = kindComplete
	}
	if k == kindFutureProvider {
		g.Expected[audit.StatusFutureProvider]++
		return fixture.Route{Provider: &record.ProviderTarget{SchemaVersion: 1, Context: ctx, Instance: inst,
			ProviderID: "fly", TargetCategory: "application", TargetID: "fly-" + ctx + "-" + inst,
			DisplayName: ctx + "-" + inst, ProviderTargetType: "machine", ProviderEvidence: map[string]string{"org": "lanes"},
			UpdatedAt: g.timestamp(), SourceLabel: "launchplane:fly-sync"}}
	}
	shared := ""
	if k == kindDuplicatePair {
		shared = fmt.Sprintf("dup-%s-%s", ctx, inst)
	}
	t, i := g.pair(ctx, inst, shared)
	p := fixture.Projected(t, i)
	p.SourceLabel = "launchplane:backfill"
	r := fixture.Route{Target: t, TargetID: i, Provider: p}
	switch k {
	case kindComplete:
		g.Expected[audit.StatusComplete]++
	case kindMissingProvider:
		r.Provider = nil
		g.Expected[audit.StatusMissingProviderTarget]++
	case kindIdentityMismatch:
		p.TargetID = "stale-" + p.TargetID
		g.Expected[audit.StatusIdentityMismatch]++
	case kindDisplayMismatch:
		p.DisplayName += " (renamed)"
		g.Expected[audit.StatusDisplayNameMismatch]++
	case kindMissingTargetID:
		r.TargetID = nil
		g.Expected[audit.StatusMissingTargetID]++
	case kindMissingTarget:
		r.Target = nil
		g.Expected[audit.StatusMissingDokployTarget]++
	case kindDuplicatePair:
		// The next slot gets another complete route bound to the same
		// Dokploy identity (same category and target id).
		ctx2, inst2 := g.route(g.slot + 1)
		t2, i2 := g.pair(ctx2, inst2, shared)
		for t2.TargetType != t.TargetType {
			t2, i2 = g.pair(ctx2, inst2, shared)
		}
		p2 := fixture.Projected(t2, i2)
		p2.SourceLabel = "launchplane:backfill"
		g.pending = &fixture.Route{Target: t2, TargetID: i2, Provider: p2}
		g.Expected[audit.StatusComplete] += 2
		g.Expected[audit.StatusDuplicateTargetIdentity] += 2
	}
	return r
}
