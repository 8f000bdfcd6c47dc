package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
)

// jtx is the transaction inTx hands to a write: a pgx.Tx that also collects the
// journal entries of the write's changes, appended when the write succeeds.
type jtx struct {
	pgx.Tx
	entries []journal.Entry
}

// journal records one change of the write: the caller fills the action, the
// object, its tenant and its before/after; inTx adds the rest.
func (t *jtx) journal(e journal.Entry) {
	t.entries = append(t.entries, e)
}

// rowJSON returns the single JSON value query selects (an object as it stands,
// for before/after), nil when it selects no row.
func (t *jtx) rowJSON(ctx context.Context, query string, args ...any) (json.RawMessage, error) {
	var b []byte
	err := t.QueryRow(ctx, query, args...).Scan(&b)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	return b, err
}

// journalLock serialises the chain head: whoever holds it appends next. It is a
// transaction-level advisory lock, so it is the database, not a process, that
// orders the entries of every server, and it is released at commit.
const journalLock = "SELECT pg_advisory_xact_lock(hashtext('cadre journal'))"

// appendJournal seals and inserts the entries of one write, after the last
// entry, in three statements: the lock (with the actor's name and the régions
// of the MLs concerned), the head, the insert.
func appendJournal(ctx context.Context, tx pgx.Tx, actor *domain.Actor, entries []journal.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	var structureIDs []int64
	for _, e := range entries {
		if e.StructureID != 0 && e.RegionID == 0 {
			structureIDs = append(structureIDs, e.StructureID)
		}
	}
	var actorNom *string
	regions := map[int64]int64{}
	// The name as the account has it now (a sign-in knows only the address).
	// The head is read by a statement of its own, after the lock: its snapshot
	// sees the last commit. Both go in one round trip (a pipeline, whose
	// statements run one after the other), so the lock is held one round trip
	// less: every write of the application waits for it.
	b := &pgx.Batch{}
	b.Queue(journalLock+`, (SELECT coalesce(nullif(nom, ''), email) FROM users WHERE id = $1),
		(SELECT coalesce(json_object_agg(id, region_id), '{}') FROM structures WHERE id = ANY($2))`,
		actorUserID(actor), structureIDs)
	b.Queue("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")
	br := tx.SendBatch(ctx, b)
	if err := br.QueryRow().Scan(nil, &actorNom, &regions); err != nil {
		br.Close()
		return fmt.Errorf("journal lock: %w", err)
	}
	var prev *journal.Entry
	var last journal.Entry
	err := br.QueryRow().Scan(&last.Seq, &last.Hash)
	switch {
	case err == nil:
		prev = &last
	case err != pgx.ErrNoRows:
		br.Close()
		return fmt.Errorf("journal head: %w", err)
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("journal head: %w", err)
	}
	now := time.Now()
	requestID := journal.RequestID(ctx)
	var cols journalRows
	for i := range entries {
		e := &entries[i]
		if e.RegionID == 0 {
			e.RegionID = regions[e.StructureID]
		}
		e.At, e.RequestID = now, requestID
		if actor != nil {
			e.ActorID, e.ActorNom = actor.UserID, cmp.Or(actor.Nom, actor.Email)
			if actorNom != nil {
				e.ActorNom = *actorNom
			}
			e.ActorRole = string(journal.RoleFor(actor, domain.Scope{RegionID: e.RegionID, StructureID: e.StructureID}))
		}
		if err := e.Normalize(); err != nil {
			return err
		}
		e.Seal(prev)
		cols.add(e)
		prev = e
	}
	_, err = tx.Exec(ctx, `INSERT INTO journal (seq, at, actor_id, actor_nom, actor_role, structure_id, region_id,
		action, object_type, object_id, label, before, after, request_id, prev_hash, hash)
		SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::json[], $13::json[], $14::text[], $15::bytea[], $16::bytea[])`,
		cols.seq, cols.at, cols.actorID, cols.actorNom, cols.actorRole, cols.structureID, cols.regionID,
		cols.action, cols.objectType, cols.objectID, cols.label, cols.before, cols.after, cols.requestID, cols.prevHash, cols.hash)
	if err != nil {
		return fmt.Errorf("journal append: %w", err)
	}
	return nil
}

// journalRows are entries as the columns of one INSERT.
type journalRows struct {
	seq                                                      []int64
	at                                                       []time.Time
	actorID, structureID, regionID                           []*int64
	actorNom, actorRole, action, objectType, objectID, label []string
	requestID                                                []string
	before, after                                            []*string
	prevHash, hash                                           [][]byte
}

func (c *journalRows) add(e *journal.Entry) {
	c.seq, c.at = append(c.seq, e.Seq), append(c.at, e.At)
	c.actorID, c.structureID, c.regionID = append(c.actorID, nullID(e.ActorID)), append(c.structureID, nullID(e.StructureID)), append(c.regionID, nullID(e.RegionID))
	c.actorNom, c.actorRole, c.action = append(c.actorNom, e.ActorNom), append(c.actorRole, e.ActorRole), append(c.action, e.Action)
	c.objectType, c.objectID, c.label = append(c.objectType, e.ObjectType), append(c.objectID, e.ObjectID), append(c.label, e.Label)
	c.requestID, c.before, c.after = append(c.requestID, e.RequestID), append(c.before, jsonText(e.Before)), append(c.after, jsonText(e.After))
	c.prevHash, c.hash = append(c.prevHash, e.PrevHash), append(c.hash, e.Hash)
}

func jsonText(r json.RawMessage) *string {
	if len(r) == 0 {
		return nil
	}
	s := string(r)
	return &s
}

const journalColumns = `seq, at, coalesce(actor_id, 0), actor_nom, actor_role, coalesce(structure_id, 0), coalesce(region_id, 0),
	action, object_type, object_id, label, before::text, after::text, request_id, prev_hash, hash`

func scanEntry(row pgx.Row) (journal.Entry, error) {
	var e journal.Entry
	var before, after *string
	err := row.Scan(&e.Seq, &e.At, &e.ActorID, &e.ActorNom, &e.ActorRole, &e.StructureID, &e.RegionID,
		&e.Action, &e.ObjectType, &e.ObjectID, &e.Label, &before, &after, &e.RequestID, &e.PrevHash, &e.Hash)
	if before != nil {
		e.Before = json.RawMessage(*before)
	}
	if after != nil {
		e.After = json.RawMessage(*after)
	}
	return e, err
}

// JournalPage returns the entries matching f, the latest first, at most f.Limit,
// and whether more follow (keyset pagination on seq).
func (s *Store) JournalPage(ctx context.Context, f journal.Filter) (_ []journal.Entry, _ bool, err error) {
	defer wrap(&err, "JournalPage")
	where, args := journalWhere(f)
	if f.Before > 0 {
		args = append(args, f.Before)
		where = append(where, fmt.Sprintf("seq < $%d", len(args)))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = journal.PageSize
	}
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, "SELECT "+journalColumns+" FROM journal WHERE "+strings.Join(where, " AND ")+
		fmt.Sprintf(" ORDER BY seq DESC LIMIT $%d", len(args)), args...)
	if err != nil {
		return nil, false, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (journal.Entry, error) { return scanEntry(r) })
	if err != nil {
		return nil, false, err
	}
	if len(list) > limit {
		return list[:limit], true, nil
	}
	return list, false, nil
}

// journalWhere turns a filter (but its page) into SQL conditions and arguments;
// its days are those of France.
func journalWhere(f journal.Filter) ([]string, []any) {
	where, args := []string{"true"}, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.StructureID != 0 {
		add("structure_id = $%d", f.StructureID)
	}
	if f.Person != "" {
		add("actor_nom ILIKE '%%' || $%d || '%%'", escapeLike(f.Person))
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if f.ObjectType != "" {
		add("object_type = $%d", f.ObjectType)
	}
	if !f.From.IsZero() {
		add("at >= $%d::date::timestamp AT TIME ZONE 'Europe/Paris'", f.From.Format(time.DateOnly))
	}
	if !f.To.IsZero() {
		add("at < ($%d::date + 1)::timestamp AT TIME ZONE 'Europe/Paris'", f.To.Format(time.DateOnly))
	}
	return where, args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// EachJournalEntry calls fn with every entry matching f (but its page), in order
// of seq, streaming; it stops at fn's first error and returns it.
func (s *Store) EachJournalEntry(ctx context.Context, f journal.Filter, fn func(journal.Entry) error) (err error) {
	defer wrap(&err, "EachJournalEntry")
	where, args := journalWhere(f)
	rows, err := s.pool.Query(ctx, "SELECT "+journalColumns+" FROM journal WHERE "+strings.Join(where, " AND ")+" ORDER BY seq", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return nil
}
