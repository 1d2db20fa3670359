package ghapi

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Upsert actions.
const (
	ActionCreated   = "created"
	ActionUpdated   = "updated"
	ActionUnchanged = "unchanged"
)

// UpsertResult reports what UpsertSticky did.
type UpsertResult struct {
	Action            string // ActionCreated, ActionUpdated or ActionUnchanged
	CommentID         int64  // the surviving sticky comment
	DeletedDuplicates int    // duplicate copies deleted
	URL               string // the surviving comment's html_url, for links in logs and summaries
}

var stickyNameRE = regexp.MustCompile(`^[a-z0-9._-]{1,100}$`)

// ValidateStickyName reports whether name may be used for a sticky comment:
// 1–100 characters from [a-z0-9._-].
func ValidateStickyName(name string) error {
	if !stickyNameRE.MatchString(name) {
		return fmt.Errorf("invalid sticky comment name %q: use 1-100 characters from a-z, 0-9, '.', '_' and '-'", name)
	}
	return nil
}

// Marker returns the hidden HTML marker for a report name:
// "<!-- lanegate:sticky:<name> -->". It panics if name is invalid (see
// ValidateStickyName).
func Marker(name string) string {
	if err := ValidateStickyName(name); err != nil {
		panic(err)
	}
	return "<!-- lanegate:sticky:" + name + " -->"
}

// StickyBody returns the body UpsertSticky posts: the marker on its own
// first line, then body. A body that already starts with that line is
// returned unchanged.
func StickyBody(name, body string) string {
	m := Marker(name)
	if strings.HasPrefix(body, m+"\n") || body == m {
		return body
	}
	return m + "\n" + body
}

// StickyBodyLimit is the longest body (in characters) UpsertSticky accepts
// for name, leaving room for the marker line.
func StickyBodyLimit(name string) int {
	return MaxCommentBody - utf8.RuneCountInString(Marker(name)) - 1
}

// UpsertSticky maintains exactly one lanegate comment for name on issue or
// pull request number.
//
// It lists ALL comments and considers only those written by identity whose
// body contains Marker(name). With none it creates one; with one whose body
// is identical it makes no write at all; with one whose body differs it
// edits it in place; with several (left by racing runs) it keeps the oldest
// (lowest ID), edits it if needed and deletes the rest.
//
// After creating, it lists once more: if a racing run created another copy,
// the copy with the lowest ID survives and ours is deleted if it is not
// that one (Action stays "created", CommentID names the survivor).
//
// identity "" means Authenticated(ctx). A body longer than
// StickyBodyLimit(name) fails with ErrBodyTooLong before any request. If
// the comment was created but the follow-up check failed, the result is
// returned together with the error.
func (c *Client) UpsertSticky(ctx context.Context, owner, repo string, number int, name, identity, body string) (UpsertResult, error) {
	if err := ValidateStickyName(name); err != nil {
		return UpsertResult{}, err
	}
	if err := checkRepo(owner, repo); err != nil {
		return UpsertResult{}, err
	}
	if err := checkNumber(number); err != nil {
		return UpsertResult{}, err
	}
	full := StickyBody(name, body)
	if n := utf8.RuneCountInString(full); n > MaxCommentBody {
		return UpsertResult{}, fmt.Errorf("sticky comment %q: %w: %d characters including the marker line (limit %d for the body alone)",
			name, ErrBodyTooLong, n, StickyBodyLimit(name))
	}
	if identity == "" {
		id, err := c.Authenticated(ctx)
		if err != nil {
			return UpsertResult{}, err
		}
		identity = id
	}
	marker := Marker(name)

	mine, err := c.stickyCopies(ctx, owner, repo, number, marker, identity)
	if err != nil {
		return UpsertResult{}, err
	}

	if len(mine) == 0 {
		created, err := c.CreateComment(ctx, owner, repo, number, full)
		if err != nil {
			return UpsertResult{}, err
		}
		res := UpsertResult{Action: ActionCreated, CommentID: created.ID, URL: created.URL}
		after, err := c.stickyCopies(ctx, owner, repo, number, marker, identity)
		if err != nil {
			return res, fmt.Errorf("created comment %d but could not check for duplicates: %w", created.ID, err)
		}
		if len(after) > 0 && after[0].ID < created.ID {
			// A racing run got there first; its copy survives.
			res.CommentID, res.URL = after[0].ID, after[0].URL
			if err := c.deleteDuplicate(ctx, owner, repo, created.ID); err != nil {
				return res, err
			}
			res.DeletedDuplicates = 1
		}
		return res, nil
	}

	keep := mine[0]
	res := UpsertResult{Action: ActionUnchanged, CommentID: keep.ID, URL: keep.URL}
	if keep.Body != full {
		if err := c.EditComment(ctx, owner, repo, keep.ID, full); err != nil {
			return UpsertResult{}, err
		}
		res.Action = ActionUpdated
	}
	for _, dup := range mine[1:] {
		if err := c.deleteDuplicate(ctx, owner, repo, dup.ID); err != nil {
			return res, err
		}
		res.DeletedDuplicates++
	}
	return res, nil
}

// stickyCopies lists the comments by identity that carry marker, lowest ID
// first.
func (c *Client) stickyCopies(ctx context.Context, owner, repo string, number int, marker, identity string) ([]Comment, error) {
	all, err := c.ListComments(ctx, owner, repo, number)
	if err != nil {
		return nil, err
	}
	var mine []Comment
	for _, cm := range all {
		if strings.EqualFold(cm.AuthorLogin, identity) && strings.Contains(cm.Body, marker) {
			mine = append(mine, cm)
		}
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].ID < mine[j].ID })
	return mine, nil
}

// deleteDuplicate deletes a duplicate sticky copy; one that is already gone
// (deleted by a racing run) counts as deleted.
func (c *Client) deleteDuplicate(ctx context.Context, owner, repo string, id int64) error {
	err := c.DeleteComment(ctx, owner, repo, id)
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == 404 {
		return nil
	}
	return err
}
