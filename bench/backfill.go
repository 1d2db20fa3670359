package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// backfillSQL creates, in one statement, the rows lanegate's apply writes:
// the Dokploy projection of every target/target-id pair (display name falls
// back to the instance, evidence holds a non-empty project name, updated_at
// is the later of the two records).
const backfillSQL = `
INSERT INTO launchplane_provider_targets
  (context, instance, provider_id, target_category, target_id, display_name, provider_target_type, updated_at, payload)
SELECT t.context, t.instance, 'dokploy', x.tt, i.target_id, x.dn, x.tt, x.ua,
       jsonb_build_object(
         'context', t.context, 'display_name', x.dn, 'instance', t.instance,
         'provider_evidence', CASE WHEN x.pn <> '' THEN jsonb_build_object('project_name', x.pn) ELSE '{}'::jsonb END,
         'provider_id', 'dokploy', 'provider_target_type', x.tt, 'schema_version', 1,
         'source_label', 'lanegate:backfill:baseline', 'target_category', x.tt,
         'target_id', i.target_id, 'updated_at', x.ua)
FROM launchplane_dokploy_targets t
JOIN launchplane_dokploy_target_ids i USING (context, instance)
CROSS JOIN LATERAL (SELECT COALESCE(t.payload->>'target_type', 'compose') AS tt,
                           COALESCE(NULLIF(t.payload->>'target_name', ''), t.instance) AS dn,
                           COALESCE(t.payload->>'project_name', '') AS pn,
                           GREATEST(t.updated_at, i.updated_at) AS ua) x`

// rowsDigest fingerprints the provider-target rows, ignoring the source
// label (the run id differs), so lanegate's and the baseline's can be compared.
const rowsDigest = `
SELECT count(*), md5(string_agg(concat_ws('|', context, instance, provider_id, target_category, target_id,
       display_name, provider_target_type, updated_at, (payload - 'source_label')::text), E'\n'
       ORDER BY context COLLATE "C", instance COLLATE "C"))
FROM launchplane_provider_targets`

const resetSQL = "TRUNCATE launchplane_provider_targets, lanegate_runs CASCADE"

func benchBackfill(ctx context.Context, c *config, n int) (result, error) {
	res := result{what: "backfill", n: n, maxRatio: 2}
	nameLG := fmt.Sprintf("lanegate_bench_backfill_%d", n)
	nameBase := nameLG + "_baseline"
	urlLG, err := prepare(ctx, c, nameLG)
	if err != nil {
		return res, err
	}
	if !c.keep {
		defer func() {
			for _, name := range []string{nameLG, nameBase} {
				if err := dropDatabase(context.Background(), c.adminURL, name); err != nil {
					logf("drop %s: %v", name, err)
				}
			}
		}()
	}
	g := newGenerator(n, c.seed, true)
	logf("loading %d Dokploy pairs into %s", n, nameLG)
	if err := load(ctx, urlLG, g, c.batch); err != nil {
		return res, err
	}
	logf("copying it to %s", nameBase)
	if err := createDatabase(ctx, c.adminURL, nameBase, nameLG); err != nil {
		return res, err
	}
	urlBase, err := dbURL(c.adminURL, nameBase)
	if err != nil {
		return res, err
	}

	// Dry run: the digest to apply, and a check that every pair plans a create.
	var digest string
	var blocked int
	var counts map[string]int
	dry := proc{name: c.lanegate, args: c.lanegateArgs("backfill", "--database-url", urlLG, "--no-lanes", "--format", "json"), dir: c.work,
		read: func(r io.Reader) error {
			return topLevel(r, map[string]any{"plan_digest": &digest, "counts": &counts, "blocked_count": &blocked})
		}}
	s, err := dry.run(ctx)
	if err != nil {
		return res, err
	}
	logf("  dry run %.2fs, peak RSS %.1f MiB: %s, digest %s", s.Wall.Seconds(), mib(s.MaxRSS), fmtCounts(counts), digest)
	if counts["would-create"] != n || blocked != 0 || !strings.HasPrefix(digest, "sha256:") {
		return res, fmt.Errorf("dry run plans %d of %d creates (blocked %d, digest %q)", counts["would-create"], n, blocked, digest)
	}

	apply := proc{name: c.lanegate, args: c.lanegateArgs("backfill", "--database-url", urlLG, "--no-lanes", "--apply",
		"--plan-digest", digest, "--reason", "bench", "--format", "json"), dir: c.work, stdout: devNull()}
	base := proc{name: c.psql, args: []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", urlBase, "-c", strings.TrimSpace(backfillSQL)},
		dir: c.work, stdout: devNull()}
	// Each repetition starts from no provider-target rows and a checkpoint,
	// so neither side pays for the other's dirty pages. Rep 0 is a warm-up
	// that also checks both sides wrote the same rows.
	for i := 0; i <= c.reps; i++ {
		for _, u := range []string{urlLG, urlBase} {
			if err := execSQL(ctx, u, resetSQL); err != nil {
				return res, err
			}
		}
		if err := execSQL(ctx, c.adminURL, "CHECKPOINT"); err != nil {
			return res, err
		}
		l, err := apply.run(ctx)
		if err != nil {
			return res, err
		}
		if err := execSQL(ctx, c.adminURL, "CHECKPOINT"); err != nil {
			return res, err
		}
		b, err := base.run(ctx)
		if err != nil {
			return res, err
		}
		dl, err := scalar(ctx, urlLG, rowsDigest)
		if err != nil {
			return res, err
		}
		db, err := scalar(ctx, urlBase, rowsDigest)
		if err != nil {
			return res, err
		}
		if len(dl) != 2 || len(db) != 2 || dl[0] != strconv.Itoa(n) || dl[0] != db[0] || dl[1] != db[1] {
			return res, fmt.Errorf("lanegate and the baseline wrote different rows: lanegate %v, baseline %v", dl, db)
		}
		if i == 0 {
			logf("  warm-up: lanegate %.2fs, baseline %.2fs; both wrote the same %s rows (md5 %s)",
				l.Wall.Seconds(), b.Wall.Seconds(), dl[0], dl[1])
			continue
		}
		res.base, res.lg = append(res.base, b), append(res.lg, l)
		logf("  rep %d/%d: baseline %.2fs, lanegate %.2fs (cpu %.2fs, RSS %.1f MiB), load %.1f",
			i, c.reps, b.Wall.Seconds(), l.Wall.Seconds(), l.CPU.Seconds(), mib(l.MaxRSS), l.Load)
	}
	return res, nil
}
