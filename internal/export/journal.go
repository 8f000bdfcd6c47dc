package export

import (
	"bufio"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/unml/cadre/internal/journal"
)

// JournalFormats lists the journal's export formats.
var JournalFormats = []string{"csv", "jsonl"}

var journalHeader = []string{"N°", "Date", "Personne", "Rôle", "Mission Locale (id)", "Région (id)", "Action", "Type d'objet", "Objet",
	"Libellé", "Phrase", "Avant", "Après", "Requête", "Empreinte précédente", "Empreinte"}

// JournalWriter writes journal entries one by one, in format "csv" (UTF-8 with
// a byte-order mark and semicolons, as the référentiel's export) or "jsonl"
// (one JSON object per line, hashes in hex, before and after as stored, so
// that the chain can be checked again from the file).
type JournalWriter struct {
	format string
	buf    *bufio.Writer
	csv    *csv.Writer
	json   *json.Encoder
}

// NewJournalWriter starts an export to w.
func NewJournalWriter(w io.Writer, format string) (*JournalWriter, error) {
	jw := &JournalWriter{format: format, buf: bufio.NewWriter(w)}
	switch format {
	case "csv":
		if _, err := jw.buf.WriteString("\ufeff"); err != nil {
			return nil, err
		}
		jw.csv = csv.NewWriter(jw.buf)
		jw.csv.Comma = ';'
		if err := jw.csv.Write(journalHeader); err != nil {
			return nil, err
		}
	case "jsonl":
		jw.json = json.NewEncoder(jw.buf)
		jw.json.SetEscapeHTML(false)
	default:
		return nil, fmt.Errorf("unknown export format %q (csv or jsonl)", format)
	}
	return jw, nil
}

// jsonlEntry is an entry as one line of the jsonl export: its record, then
// its sentence and hashes.
type jsonlEntry struct {
	journal.Record
	Sentence string `json:"sentence"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// Write adds one entry.
func (jw *JournalWriter) Write(e journal.Entry) error {
	if jw.csv != nil {
		return jw.csv.Write([]string{strconv.FormatInt(e.Seq, 10), e.Record().At, e.ActorNom, e.ActorRole, idOrEmpty(e.StructureID), idOrEmpty(e.RegionID),
			e.Action, e.ObjectType, e.ObjectID, e.Label, journal.Sentence(e), string(e.Before), string(e.After), e.RequestID,
			hex.EncodeToString(e.PrevHash), hex.EncodeToString(e.Hash)})
	}
	return jw.json.Encode(jsonlEntry{Record: e.Record(), Sentence: journal.Sentence(e),
		PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash)})
}

// Close flushes the export.
func (jw *JournalWriter) Close() error {
	if jw.csv != nil {
		jw.csv.Flush()
		if err := jw.csv.Error(); err != nil {
			return err
		}
	}
	return jw.buf.Flush()
}

func idOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}
