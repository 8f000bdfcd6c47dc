// Package web holds Cadre's pages (templ components) and static assets.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"
	"sync"
)

//go:embed static
var staticFiles embed.FS

// Static is the tree of static assets (css/, js/, …), served under AssetPrefix().
var Static = func() fs.FS {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err)
	}
	return sub
}()

// StaticVersion is a digest of every static asset. It goes into asset URLs, so
// browsers may cache them for a year and still see a new release at once.
var StaticVersion = sync.OnceValue(func() string {
	h := sha256.New()
	fs.WalkDir(Static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Static, p)
		h.Write([]byte(p))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
})

// Asset returns the versioned URL of a static asset, e.g. Asset("css/cadre.css").
func Asset(name string) string {
	return path.Join("/static", StaticVersion(), name)
}

// Page is what the layout needs from every page.
type Page struct {
	// Title is the page's own title; the layout appends the site name.
	Title string
	// Path is the current URL path, to mark the current navigation link.
	Path string
	// User is the signed-in person's name; empty for a visitor.
	User string
	// Nav lists the sections the person may open.
	Nav []NavItem
	// Flash is a one-time confirmation from the previous action.
	Flash string
}

// NavItem is one link of the main navigation.
type NavItem struct {
	Href, Label string
}

// current reports whether the navigation item leads to the current page or one
// below it.
func (p Page) current(href string) bool {
	if href == "/" {
		return p.Path == "/"
	}
	return p.Path == href || strings.HasPrefix(p.Path, href+"/")
}
