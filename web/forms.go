package web

import "net/url"

// Field is one labelled form control with its value and error.
type Field struct {
	Name         string
	Label        string
	Type         string // text, email, password, select…
	Value        string
	Hint         string
	Error        string
	Required     bool
	Autocomplete string
	Options      []Option // for selects
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
}

// describedBy lists the ids of a field's hint and error.
func (f Field) describedBy() string {
	s := ""
	if f.Hint != "" {
		s = f.Name + "-aide"
	}
	if f.Error != "" {
		if s != "" {
			s += " "
		}
		s += f.Name + "-erreur"
	}
	return s
}

// FormErrors is what a form's error summary lists, in the order of the fields.
type FormErrors struct {
	Message string
	Fields  []Field
}

// Summary builds the error summary of fields; empty when none has an error.
func Summary(message string, fields ...Field) FormErrors {
	fe := FormErrors{Message: message}
	for _, f := range fields {
		if f.Error != "" {
			fe.Fields = append(fe.Fields, f)
		}
	}
	if len(fe.Fields) == 0 && message == "" {
		return FormErrors{}
	}
	return fe
}

// attachQuery is the query string that carries, from page to page, the item a
// new piece of evidence is for and the page to return to.
func attachQuery(code, retour string) string {
	return url.Values{"rattacher": {code}, "retour": {retour}}.Encode()
}

// formEnctype is a form's encoding: multipart only for a file upload, since only
// the upload routes take multipart bodies.
func formEnctype(withFile bool) string {
	if withFile {
		return "multipart/form-data"
	}
	return "application/x-www-form-urlencoded"
}
