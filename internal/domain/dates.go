package domain

import (
	"strings"
	"time"
)

// ParseDate reads a date as browsers send it (2026-09-01) or as people type it
// where the browser offers no calendar (01/09/2026). It returns midnight UTC of
// that day, or false.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 1900 && t.Year() <= 9999 {
			return t, true
		}
	}
	return time.Time{}, false
}

// FrenchDate formats a day as French readers expect it: 31/12/2026.
func FrenchDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("02/01/2006")
}

// FrenchDateTime formats an instant in the server's time zone: 31/12/2026 à 14:05.
func FrenchDateTime(t time.Time) string {
	return t.Local().Format("02/01/2006 à 15:04")
}
