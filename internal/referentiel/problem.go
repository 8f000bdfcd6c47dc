package referentiel

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one defect found in a référentiel file, located by line so that the
// author can fix the file without reading Go.
type Problem struct {
	File    string // as given to Parse
	Line    int    // 1-based; 0 when the problem concerns the whole file
	Message string // in English, naming the node by its code when it has one
}

// String formats the problem as "file:line: message", the form editors jump to.
func (p Problem) String() string {
	if p.Line <= 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Message)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
}

// ValidationError lists every problem of one or more files: authors fix a file in
// one pass instead of one error per run.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems one per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by file then line, keeping discovery order for
// ties, so that the list reads like the file.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}
