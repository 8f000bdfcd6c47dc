// Package network reads the CSV file that describes the network (régions,
// Missions Locales and their sites) and describes, in French, what importing it
// changes. It holds no SQL: internal/postgres applies a Plan. FORMAT.md documents
// the file.
package reseau

import (
	"fmt"
	"strings"

	"github.com/unml/cadre/internal/domain"
)

// Plan is a valid network file: each région, Mission Locale and site once, in the
// order of their first line, with their parents named by code.
type Plan struct {
	Regions    []Region
	Structures []Structure
	Sites      []Site
}

// Region is a région of the file.
type Region struct {
	domain.Region
	Line int // first line that names it; 0 for a région read from the database
}

// Structure is a Mission Locale of the file; its région is named by code.
type Structure struct {
	domain.Structure
	RegionCode string
	Line       int // first line that names it; 0 for one read from the database
}

// Site is a lieu d'accueil of the file; its Mission Locale is named by code.
type Site struct {
	domain.Site
	StructureCode string
	Line          int // its line; 0 for a site read from the database
}

// Problem is one defect of a network file, located by its line so that the
// author can fix the file in a spreadsheet.
type Problem struct {
	Line    int    // 1-based, the header being line 1
	Message string // in French
}

// String formats the problem as "ligne N : message".
func (p Problem) String() string {
	return fmt.Sprintf("ligne %d : %s", p.Line, p.Message)
}

// ParseError lists every problem of a network file, in line order, so that the
// author fixes the file in one pass. Parse returns it for defects of the file
// alone; the store returns it too when the file conflicts with the database.
// It unwraps to an EINVALID *domain.Error for the edges that only know codes.
type ParseError struct {
	Problems []Problem
}

// Error lists the problems one per line.
func (e *ParseError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives the domain error that summarises the list.
func (e *ParseError) Unwrap() error {
	n := len(e.Problems)
	msg := "Le fichier du réseau contient une erreur : rien n'a été importé."
	if n > 1 {
		msg = fmt.Sprintf("Le fichier du réseau contient %d erreurs : rien n'a été importé.", n)
	}
	return &domain.Error{Code: domain.EINVALID, Message: msg}
}
