package web

// JournalView is a page of a journal: an ML's or the national one.
type JournalView struct {
	Page
	// Heading is the page's title; Intro says whose journal it is.
	Heading, Intro string
	// Breadcrumb leads back to the ML (empty for the national journal).
	BreadcrumbURL, BreadcrumbLabel string
	// Action is the filter form's URL.
	Action                        string
	Errors                        FormErrors
	Person, Act, Object, From, To Field
	Rows                          []JournalRow
	// NextURL is the next (older) page; FirstURL the latest one when not on it.
	NextURL, FirstURL string
}

// JournalRow is one entry as the page shows it.
type JournalRow struct {
	Seq      string
	At       string
	Sentence string
	Role     string
}
