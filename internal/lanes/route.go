package lanes

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseRoute splits a lane route "context/instance" at its first "/".
// The instance may itself contain "/". Neither part may be empty or have
// leading or trailing whitespace, and the route may not contain control
// characters: routes end up in logs, comments and shell commands, where such
// characters hide or change meaning.
func ParseRoute(s string) (context, instance string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", fmt.Errorf("invalid route %q: %s", s, why)
	}
	if !utf8.ValidString(s) {
		return bad("not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return bad(fmt.Sprintf("contains control character %U", r))
		}
	}
	context, instance, ok := strings.Cut(s, "/")
	switch {
	case !ok:
		return bad(`want "context/instance"`)
	case context == "":
		return bad("empty context")
	case instance == "":
		return bad("empty instance")
	case hasOuterSpace(context):
		return bad("context has leading or trailing whitespace")
	case hasOuterSpace(instance):
		return bad("instance has leading or trailing whitespace")
	}
	return context, instance, nil
}

func hasOuterSpace(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsSpace(first) || unicode.IsSpace(last)
}
