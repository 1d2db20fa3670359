package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/lanegate/lanegate/internal/evidence"
	"github.com/lanegate/lanegate/internal/verdict"
)

// EvidenceCollectDoc is the outcome of evidence collect: the decision
// (evidence.DecideAuthority's, made once by the command) and where its
// records went.
type EvidenceCollectDoc struct {
	Decision evidence.AuthorityDecision
	Source   string // the service read, as the store announcement names it
	Where    string // the evidence store written ("" with --no-record)
}

// Kind is KindEvidence.
func (EvidenceCollectDoc) Kind() Kind { return KindEvidence }

// evidenceCollectReport is the JSON report of evidence collect.
type evidenceCollectReport struct {
	Status   verdict.Verdict         `json:"status"`
	Reason   string                  `json:"reason,omitempty"`
	Source   string                  `json:"source"`
	Recorded string                  `json:"recorded_in,omitempty"`
	Read     int                     `json:"read"`
	Passed   int                     `json:"passed"`
	Failed   int                     `json:"failed"`
	Unread   int                     `json:"unread"`
	Lanes    []evidence.AuthorityRow `json:"lanes"`
}

func evidenceCollectJSON(w io.Writer, d EvidenceCollectDoc) error {
	dec := d.Decision
	rows := dec.Rows
	if rows == nil {
		rows = []evidence.AuthorityRow{}
	}
	return WriteIndentedJSON(w, evidenceCollectReport{Status: dec.Verdict, Reason: dec.Reason, Source: d.Source, Recorded: d.Where,
		Read: dec.Read, Passed: dec.Passed, Failed: dec.Failed, Unread: dec.Unread, Lanes: rows})
}

func evidenceCollectTable(w io.Writer, d EvidenceCollectDoc) error {
	dec := d.Decision
	header := fmt.Sprintf("%s: %d lane(s) read, %d passed, %d failed, %d not read", dec.Verdict.Word(), dec.Read, dec.Passed, dec.Failed, dec.Unread)
	if dec.Reason != "" {
		header += " (" + dec.Reason + ")"
	}
	fmt.Fprintln(w, header)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LANE\tPRODUCT\tRESULT\tTRUST\tPROVIDER\tTYPE\tTARGET_ID\tDETAIL")
	for _, r := range dec.Rows {
		detail := strings.Join(r.Reasons, "; ")
		trust, provider, typ, tid := dashIfEmpty(r.TrustState), dashIfEmpty(r.Provider), dashIfEmpty(r.ProviderTargetType), fmt.Sprint(r.TargetIDRecorded)
		if r.Result == evidence.AuthorityBlocked {
			trust, provider, typ, tid, detail = "-", "-", "-", "-", r.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Lane, r.Product, r.Result, trust, provider, typ, tid, dashIfEmpty(detail))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if d.Where != "" {
		_, err := fmt.Fprintf(w, "recorded %d authority record(s) in %s\n", len(dec.Records), d.Where)
		return err
	}
	return nil
}
