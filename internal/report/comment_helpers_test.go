package report

import "github.com/lanegate/lanegate/internal/evidence"

// decideCommentReadiness decides every row's readiness the way publish
// does, before the comment renders it.
func decideCommentReadiness(in *CommentInput) {
	evidence.DecideCommentReadiness(in.Plan, in.Lanes, !in.EvidenceNotRead)
}

// commentDigest is the result digest publish stores for the comment in.
func commentDigest(in CommentInput) string { return evidence.CommentDigest(in.DigestInput()) }
