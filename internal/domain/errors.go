// Package domain holds Cadre's business types and rules: no SQL, no HTTP.
package domain

import (
	"errors"
	"fmt"
)

// Error codes: the only distinctions the edges (HTTP, CLI) make between failures.
const (
	ENOTFOUND  = "not_found"       // absent, or belongs to another tenant: never say which
	EINVALID   = "invalid"         // the input breaks a rule; Message says which, in French
	ECONFLICT  = "conflict"        // the object changed meanwhile, or the state forbids it
	EFORBIDDEN = "forbidden"       // the actor may see the object but not do this
	EINTERNAL  = "internal"        // anything else: logged in full, shown as "Erreur interne"
	EUNAUTH    = "unauthenticated" // not signed in, or wrong credentials
	ETOOMANY   = "too_many"        // throttled: too many attempts
)

// Error is a failure meant for the user: a code and a French message.
// Internal errors are plain Go errors and never reach the user's eyes.
type Error struct {
	Code    string
	Message string
	// Fields holds per-field messages of an EINVALID form, for its error summary.
	Fields FieldErrors
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with a formatted French message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorFields returns the per-field messages of err's *Error, if any.
func ErrorFields(err error) FieldErrors {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// ErrorMessage returns the user-facing message of err: its *Error's message, or a
// generic one that hides internals.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Erreur interne."
}
