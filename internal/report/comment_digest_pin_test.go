package report

import (
	"testing"

	"github.com/lanegate/lanegate/internal/audit"
	"github.com/lanegate/lanegate/internal/record"
)

// pinDigestInputs are comment inputs whose result digests are pinned: the
// digest is stored in every published comment, so a change to it would make
// every comment look changed once.
func pinDigestInputs(t *testing.T) map[string]CommentInput {
	small := ctSmallInput(t)
	decideCommentReadiness(&small)

	shard := ctSmallInput(t)
	shard.Title = "fleet <a&b>"
	shard.Artifact = "lanegate-report"
	shard.EvidenceNotRead = true
	shard.Shard = &ShardInfo{Index: 2, Count: 3, Filter: audit.Filter{}, FilterLanes: []string{"shop/prod"}, Matched: 4, MatchedLanes: []string{"a/<b>"}}
	shard.Lanes[3].Physical = &record.ProviderTarget{ProviderID: "dokploy", TargetID: "x<1>", DisplayName: "Shop & co"}
	shard.Lanes[3].Projected = &record.ProviderTarget{ProviderID: "dokploy", TargetID: "x2", DisplayName: "Shop"}
	decideCommentReadiness(&shard)
	return map[string]CommentInput{"small": small, "shard": shard}
}

func TestCommentDigestPinned(t *testing.T) {
	want := map[string]string{
		"small": "sha256:617a4fbd6df7e9e43969b1a67a6b8d399eaee9ba3570e549fdb618d165395cb8",
		"shard": "sha256:a9b67818fb454f75a0feb3e5318c3e6ebb0b0cf11289085de0c821c493f188ff",
	}
	for name, in := range pinDigestInputs(t) {
		if got := commentDigest(in); got != want[name] {
			t.Errorf("%s: digest %s, want %s", name, got, want[name])
		}
	}
}
