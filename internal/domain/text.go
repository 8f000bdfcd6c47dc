package domain

import "strings"

// MaxCommentRunes bounds comments and justifications.
const MaxCommentRunes = 5000

// Shorten cuts s to at most n characters, on a word, with an ellipsis.
func Shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}
