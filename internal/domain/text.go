package domain

// MaxCommentRunes bounds comments and justifications.
const MaxCommentRunes = 5000
