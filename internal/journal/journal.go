// Package journal is the hash-chained log of every change: who did what, in
// which role, on which object of which tenant, with the object before and after.
// The store appends an entry in the same transaction as the change it records;
// each entry's hash covers its canonical encoding and the previous entry's hash,
// so deleting, reordering or editing one breaks the chain from there (Verify).
package journal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Entry is one change. Seq, At, the actor fields, RequestID and the hashes are
// filled by the store when it appends; the write fills the rest.
type Entry struct {
	// Seq numbers the entries from 1, without gaps.
	Seq int64
	// At is the moment of the change, in UTC, to the microsecond.
	At time.Time
	// ActorID is the person (0: the system, or an anonymous visitor).
	ActorID int64
	// ActorNom is the person's name (or address) as it was then.
	ActorNom string
	// ActorRole is the role the person acted in ("" for the system).
	ActorRole string
	// StructureID and RegionID are the tenant concerned (0: national).
	StructureID int64
	RegionID    int64
	// Action is what happened, one of the Act* constants.
	Action string
	// ObjectType and ObjectID name the object changed.
	ObjectType string
	ObjectID   string
	// Label is how a person names the object ("F2.R1.C1", a title, an address).
	Label string
	// Before and After are the object as JSON (nil: none, as before a creation).
	Before, After json.RawMessage
	// RequestID is the HTTP request that made the change ("" outside a request).
	RequestID string
	// PrevHash is the previous entry's Hash (32 zero bytes for the first);
	// Hash is SHA-256 over PrevHash and the canonical encoding.
	PrevHash, Hash []byte
}

// Genesis is the PrevHash of the first entry.
var Genesis = make([]byte, sha256.Size)

// Record is an entry as its hash covers it and as it is exported: fixed field
// order, UTC times to the microsecond, compact JSON. Changing it breaks every
// existing chain.
type Record struct {
	Seq         int64           `json:"seq"`
	At          string          `json:"at"`
	ActorID     int64           `json:"actor_id"`
	ActorNom    string          `json:"actor_nom"`
	ActorRole   string          `json:"actor_role"`
	StructureID int64           `json:"structure_id"`
	RegionID    int64           `json:"region_id"`
	Action      string          `json:"action"`
	ObjectType  string          `json:"object_type"`
	ObjectID    string          `json:"object_id"`
	Label       string          `json:"label"`
	Before      json.RawMessage `json:"before"`
	After       json.RawMessage `json:"after"`
	RequestID   string          `json:"request_id"`
}

// Record returns e's record (everything but the hashes).
func (e Entry) Record() Record {
	return Record{
		Seq: e.Seq, At: e.At.UTC().Format("2006-01-02T15:04:05.000000Z"), ActorID: e.ActorID, ActorNom: e.ActorNom, ActorRole: e.ActorRole,
		StructureID: e.StructureID, RegionID: e.RegionID, Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID,
		Label: e.Label, Before: rawOrNull(e.Before), After: rawOrNull(e.After), RequestID: e.RequestID,
	}
}

// Canonical returns the bytes of e that its hash covers: its Record as JSON.
func (e Entry) Canonical() []byte {
	b, err := json.Marshal(e.Record())
	if err != nil {
		// Only invalid JSON in Before or After can fail, and Normalize refuses it.
		panic(fmt.Sprintf("journal: canonical encoding of entry %d: %v", e.Seq, err))
	}
	return b
}

func rawOrNull(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return json.RawMessage("null")
	}
	return r
}

// ComputeHash returns SHA-256 over prev and e's canonical encoding.
func (e Entry) ComputeHash(prev []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(e.Canonical())
	return h.Sum(nil)
}

// Seal sets e's sequence number, previous hash and hash as the entry after prev
// (nil: the first entry).
func (e *Entry) Seal(prev *Entry) {
	e.Seq, e.PrevHash = 1, Genesis
	if prev != nil {
		e.Seq, e.PrevHash = prev.Seq+1, prev.Hash
	}
	e.Hash = e.ComputeHash(e.PrevHash)
}

// Normalize puts e in the form the store keeps, so that what is read back hashes
// the same: UTC to the microsecond, compact JSON ("null" is none).
func (e *Entry) Normalize() error {
	e.At = e.At.UTC().Truncate(time.Microsecond)
	for _, r := range []*json.RawMessage{&e.Before, &e.After} {
		if len(*r) == 0 {
			continue
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, *r); err != nil {
			return fmt.Errorf("journal entry %s: %w", e.Action, err)
		}
		if buf.String() == "null" {
			*r = nil
			continue
		}
		*r = buf.Bytes()
	}
	return nil
}

// JSON marshals v for Before or After; a value that cannot be marshalled is a
// programming error.
func JSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("journal: %v", err))
	}
	return b
}

// ID formats an object id.
func ID(id int64) string { return strconv.FormatInt(id, 10) }

// Broken says where and why a chain stops being valid.
type Broken struct {
	Seq    int64
	Reason string
}

func (b *Broken) Error() string {
	return fmt.Sprintf("journal entry %d: %s", b.Seq, b.Reason)
}

// Verifier checks a chain entry by entry, in order of Seq.
type Verifier struct {
	prev  *Entry
	count int64
}

// Next checks e after the entries seen so far; the first broken entry is a *Broken.
func (v *Verifier) Next(e Entry) error {
	wantSeq, wantPrev := int64(1), Genesis
	if v.prev != nil {
		wantSeq, wantPrev = v.prev.Seq+1, v.prev.Hash
	}
	switch {
	case e.Seq != wantSeq:
		return &Broken{Seq: e.Seq, Reason: fmt.Sprintf("expected entry %d here: an entry is missing or out of order", wantSeq)}
	case !bytes.Equal(e.PrevHash, wantPrev):
		return &Broken{Seq: e.Seq, Reason: "its previous hash is not the hash of the entry before it"}
	case !bytes.Equal(e.Hash, e.ComputeHash(e.PrevHash)):
		return &Broken{Seq: e.Seq, Reason: "its content does not match its hash: it was changed after it was written"}
	}
	v.prev = &e
	v.count++
	return nil
}

// Count is the number of valid entries seen.
func (v *Verifier) Count() int64 { return v.count }

// Verify checks a whole chain read by each (which calls its function once per
// entry in order of Seq) and returns the number of entries, or the first broken
// one as a *Broken.
func Verify(each func(func(Entry) error) error) (int64, error) {
	var v Verifier
	err := each(v.Next)
	return v.count, err
}

type ctxKey struct{}

// WithRequestID returns ctx carrying the HTTP request's id, for the entries
// appended while serving it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestID returns the request id carried by ctx ("" when none).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}
