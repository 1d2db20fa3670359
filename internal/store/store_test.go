package store

import (
	"reflect"
	"testing"

	"github.com/lanegate/lanegate/internal/record"
)

// pair is a route with a complete Dokploy pair and no provider-target row,
// projecting onto (dokploy, compose, id).
func pair(ctx, inst, id string) *RouteRecords {
	return &RouteRecords{Route: Route{ctx, inst},
		Target:   &record.DokployTarget{Context: ctx, Instance: inst, TargetType: "compose"},
		TargetID: &record.DokployTargetID{Context: ctx, Instance: inst, TargetID: id}}
}

func TestClaimsOf(t *testing.T) {
	held := record.Identity{ProviderID: record.ProviderIDDokploy, Category: "compose", TargetID: "app-held"}
	withRow := pair("c", "has-row", "app-held")
	withRow.Provider = &record.ProviderTarget{}
	tests := []struct {
		name    string
		routes  []*RouteRecords
		holders map[record.Identity][]Route
		want    Claims
	}{
		{name: "no shared identity", routes: []*RouteRecords{pair("a", "p", "app-1"), pair("b", "p", "app-2")}, want: Claims{}},
		{name: "two would-creates share one identity",
			routes: []*RouteRecords{pair("a", "p", "app-1"), pair("b", "p", "app-1")},
			want:   Claims{{"a", "p"}: {{"b", "p"}}, {"b", "p"}: {{"a", "p"}}}},
		{name: "a row elsewhere already holds it",
			routes:  []*RouteRecords{pair("a", "p", "app-held")},
			holders: map[record.Identity][]Route{held: {{"z", "q"}}},
			want:    Claims{{"a", "p"}: {{"z", "q"}}}},
		{name: "a route with its own row claims nothing",
			routes:  []*RouteRecords{withRow},
			holders: map[record.Identity][]Route{held: {{"c", "has-row"}}},
			want:    Claims{}},
		{name: "others sorted", routes: []*RouteRecords{pair("m", "p", "app-held")},
			holders: map[record.Identity][]Route{held: {{"z", "q"}, {"b", "q"}}},
			want:    Claims{{"m", "p"}: {{"b", "q"}, {"z", "q"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClaimsOf(tt.routes, tt.holders); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ClaimsOf = %v, want %v", got, tt.want)
			}
		})
	}
}
