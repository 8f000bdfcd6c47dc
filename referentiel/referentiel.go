// Package referentiel holds the référentiels as data files; the loader and their
// format live in internal/referentiel, and README.md documents the format.
package referentiel

import "embed"

// Files holds every référentiel file of this directory, so that the binary can
// import them without reading the disk.
//
//go:embed *.yaml
var Files embed.FS
