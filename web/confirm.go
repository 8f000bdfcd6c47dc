package web

import "github.com/a-h/templ"

// ConfirmView is a confirmation page: the question, what the action does, who
// gets email, and the form that performs it.
type ConfirmView struct {
	Page
	// Heading asks the question: "Ouvrir la campagne « 2027 » ?".
	Heading string
	// BackURL and BackLabel lead back to where the person came from (also "Annuler").
	BackURL, BackLabel string
	// Effects say, one sentence each, what will happen.
	Effects []string
	// Recipients are the people email will be sent to; none: no email.
	Recipients []string
	// Action is where the form POSTs; Submit is its button's text.
	Action, Submit string
	// Danger draws the button as a destructive one.
	Danger bool
	// Fields are extra form fields (a message), or nil.
	Fields templ.Component
}
