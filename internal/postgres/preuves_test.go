package postgres_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
	"github.com/unml/cadre/internal/preuves"
)

// preuveEnv is a fresh database with the demo data (whose ML Rennes and ML Lyon
// already have pieces; ML Brest has none).
type preuveEnv struct {
	ctx                   context.Context
	pool                  *pgxpool.Pool
	store                 *postgres.Store
	f                     *demo.Fixture
	rennes, brest, lyon   int64
	dirRennes, dirBrest   int64
	auditeur              int64
	refID                 int64
	items                 []int64  // the first items of the référentiel, in its order
	codes                 []string // their codes
	siteRennes, siteBrest int64
}

func newPreuveEnv(t *testing.T) *preuveEnv {
	t.Helper()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	e := &preuveEnv{ctx: t.Context(), pool: pgtest.Admin(t, pool), store: store, f: f,
		// "brest" is the Bretagne ML without evidence: Quimper, since the demo's
		// audit gives Brest's library its pieces.
		rennes: f.Structures["ML-RENNES"], brest: f.Structures["ML-QUIMPER"], lyon: f.Structures["ML-LYON"],
		dirRennes: f.Users["directeur@ml-rennes.demo"], dirBrest: f.Users["directeur@ml-quimper.demo"], auditeur: f.Users["auditeur@unml.demo"],
		siteRennes: f.Sites["RENNES-ANT-1"], siteBrest: f.Sites["QUIMPER-ANT-1"]}
	if err := pool.QueryRow(e.ctx, "SELECT id FROM referentiels ORDER BY id LIMIT 1").Scan(&e.refID); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(e.ctx, "SELECT id, code FROM referentiel_items WHERE referentiel_id = $1 ORDER BY ordre LIMIT 3", e.refID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			t.Fatal(err)
		}
		e.items, e.codes = append(e.items, id), append(e.codes, code)
	}
	if rows.Err() != nil || len(e.items) != 3 {
		t.Fatalf("items: %v, %v", e.items, rows.Err())
	}
	return e
}

// pdfBytes is a file of n bytes that Sniff takes for a PDF, with a seeded body.
func pdfBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	_, _ = r.Read(b)
	copy(b, "%PDF-1.7\n")
	return b
}

// stored counts the rows of file content.
func (e *preuveEnv) stored(t *testing.T) (contenus, morceaux int) {
	t.Helper()
	return countRows(t, e.pool, "SELECT count(*) FROM preuve_contenus"), countRows(t, e.pool, "SELECT count(*) FROM preuve_morceaux")
}

func (e *preuveEnv) put(t *testing.T, structureID int64, data []byte, name string) int64 {
	t.Helper()
	id, err := e.store.PutContent(e.ctx, structureID, bytes.NewReader(data), name, preuves.DefaultMaxBytes)
	if err != nil {
		t.Fatalf("PutContent(%s): %v", name, err)
	}
	return id
}

// fichier creates a file piece of the ML holding data.
func (e *preuveEnv) fichier(t *testing.T, structureID int64, titre string, data []byte) int64 {
	t.Helper()
	id, err := e.store.CreatePreuveContent(e.ctx, domain.Preuve{StructureID: structureID, Nature: domain.NatureFichier, Titre: titre, Type: "procedure"},
		e.put(t, structureID, data, titre+".pdf"), titre+".pdf", e.dirRennes)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// read downloads a version of a piece whole.
func (e *preuveEnv) read(t *testing.T, structureID, preuveID int64, version int) (preuves.FileInfo, []byte, error) {
	t.Helper()
	c, err := e.store.OpenVersion(e.ctx, structureID, preuveID, version)
	if err != nil {
		return preuves.FileInfo{}, nil, err
	}
	data, err := io.ReadAll(c)
	return c.Info(), data, err
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := domain.ErrorCode(err); got != code {
		t.Errorf("%s: err = %v (%s), want %s", what, err, got, code)
	}
}

func wantField(t *testing.T, what string, err error, field string) {
	t.Helper()
	if _, ok := domain.ErrorFields(err)[field]; !ok || domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("%s: err = %v (fields %v), want an error on %q", what, err, domain.ErrorFields(err), field)
	}
}

func TestPutContentHashesAndStoresInChunks(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	for _, tc := range []struct {
		name   string
		data   []byte
		chunks []int
		mime   string
	}{
		{"several chunks", pdfBytes(600<<10, 1), []int{256 << 10, 256 << 10, 88 << 10}, "application/pdf"},
		{"exactly two chunks", pdfBytes(512<<10, 2), []int{256 << 10, 256 << 10}, "application/pdf"},
		{"smaller than the head", []byte("année;jeunes\n2025;12\n"), []int{22}, "text/csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := e.put(t, e.brest, tc.data, "fichier.csv")
			var sum []byte
			var taille int64
			var mime string
			if err := e.pool.QueryRow(e.ctx, "SELECT sha256, taille, mime FROM preuve_contenus WHERE id = $1", id).Scan(&sum, &taille, &mime); err != nil {
				t.Fatal(err)
			}
			if want := sha256.Sum256(tc.data); !bytes.Equal(sum, want[:]) || taille != int64(len(tc.data)) || mime != tc.mime {
				t.Errorf("stored sha %x, %d bytes, %q; want %x, %d, %q", sum, taille, mime, want, len(tc.data), tc.mime)
			}
			rows, _ := e.pool.Query(e.ctx, "SELECT length(data) FROM preuve_morceaux WHERE contenu_id = $1 ORDER BY seq", id)
			var sizes []int
			for rows.Next() {
				var n int
				_ = rows.Scan(&n)
				sizes = append(sizes, n)
			}
			if !slices.Equal(sizes, tc.chunks) {
				t.Errorf("chunks %v, want %v", sizes, tc.chunks)
			}
		})
	}
}

func TestPutContentDeduplicatesWithinAnML(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	data := pdfBytes(300<<10, 3)
	c0, m0 := e.stored(t)
	first := e.put(t, e.brest, data, "a.pdf")
	again := e.put(t, e.brest, data, "autre-nom.pdf")
	if again != first {
		t.Errorf("same content in the same ML: ids %d and %d, want one", first, again)
	}
	if c, m := e.stored(t); c != c0+1 || m != m0+2 {
		t.Errorf("after twice the same file: +%d contents, +%d chunks; want +1, +2", c-c0, m-m0)
	}
	other := e.put(t, e.lyon, data, "a.pdf")
	if other == first {
		t.Error("another ML shares the content; want its own copy")
	}
	if c, m := e.stored(t); c != c0+2 || m != m0+4 {
		t.Errorf("after another ML: +%d contents, +%d chunks; want +2, +4", c-c0, m-m0)
	}
}

// endBarrier holds every reader at the end of its file until all have reached
// it, so that concurrent uploads of one file all look for an existing copy
// before any of them commits.
type endBarrier struct {
	r    io.Reader
	all  *sync.WaitGroup
	once sync.Once
}

func (b *endBarrier) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if errors.Is(err, io.EOF) {
		b.once.Do(func() { b.all.Done(); b.all.Wait() })
	}
	return n, err
}

func TestPutContentConcurrentSameFileStoredOnce(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	data := pdfBytes(700<<10, 4)
	c0, m0 := e.stored(t)
	ids := make([]int64, 3)
	errs := make([]error, len(ids))
	var atEnd, wg sync.WaitGroup
	atEnd.Add(len(ids))
	for i := range ids {
		wg.Go(func() {
			r := &endBarrier{r: bytes.NewReader(data), all: &atEnd}
			ids[i], errs[i] = e.store.PutContent(e.ctx, e.brest, r, "a.pdf", preuves.DefaultMaxBytes)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(ids, func(id int64) bool { return id != ids[0] }) {
		t.Errorf("concurrent uploads of one file: ids %v, want one", ids)
	}
	if c, m := e.stored(t); c != c0+1 || m != m0+3 {
		t.Errorf("+%d contents, +%d chunks; want +1, +3", c-c0, m-m0)
	}
}

// TestPutContentSameFileCommittedMeanwhile makes the race of two uploads of one
// file certain: the other copy is committed while this upload is at its end,
// after it looked for an existing copy and before it could record its own.
func TestPutContentSameFileCommittedMeanwhile(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	data := pdfBytes(300<<10, 25)
	sum := sha256.Sum256(data)
	c0, m0 := e.stored(t)
	other, err := e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(e.ctx)
	var otherID int64
	if err := other.QueryRow(e.ctx, "INSERT INTO preuve_contenus (structure_id, sha256, taille, mime) VALUES ($1, $2, $3, 'application/pdf') RETURNING id",
		e.brest, sum[:], len(data)).Scan(&otherID); err != nil {
		t.Fatal(err)
	}
	type result struct {
		id  int64
		err error
	}
	done := make(chan result)
	go func() {
		id, err := e.store.PutContent(e.ctx, e.brest, bytes.NewReader(data), "a.pdf", preuves.DefaultMaxBytes)
		done <- result{id, err}
	}()
	// The upload waits on the other copy's unique key: commit it.
	for deadline := time.Now().Add(10 * time.Second); countRows(t, e.pool,
		"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the upload never waited for the other copy")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := other.Commit(e.ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.id != otherID {
		t.Errorf("PutContent = %d, %v; want the other copy %d", r.id, r.err, otherID)
	}
	if c, m := e.stored(t); c != c0+1 || m != m0 {
		t.Errorf("%+d contents, %+d chunks; want the other copy only", c-c0, m-m0)
	}
}

// failingReader gives a valid PDF then fails, as a request body does when the
// client goes away.
type failingReader struct {
	r     io.Reader
	after int
	err   error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, f.err
	}
	if len(p) > f.after {
		p = p[:f.after]
	}
	n, err := f.r.Read(p)
	f.after -= n
	return n, err
}

func TestPutContentRefusalsStoreNothing(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	errCut := errors.New("unexpected EOF: connection reset by peer")
	canceled, cancel := context.WithCancel(e.ctx)
	cancel()
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		r     io.Reader
		file  string
		max   int64
		check func(t *testing.T, err error)
	}{
		{"one byte over the limit", e.ctx, bytes.NewReader(pdfBytes(1<<20+1, 5)), "gros.pdf", 1 << 20, func(t *testing.T, err error) {
			var tl *preuves.TooLargeError
			if !errors.As(err, &tl) || tl.Limit != 1<<20 {
				t.Errorf("err = %v, want a TooLargeError of 1 Mo", err)
			}
			wantField(t, "too large", err, "file")
		}},
		{"far over the limit", e.ctx, bytes.NewReader(pdfBytes(3<<20, 6)), "gros.pdf", 1 << 20, func(t *testing.T, err error) {
			if !strings.Contains(domain.ErrorMessage(err), "dépasse la taille maximale de 1 Mo") {
				t.Errorf("message = %q", domain.ErrorMessage(err))
			}
		}},
		{"over a limit smaller than the head", e.ctx, bytes.NewReader(pdfBytes(200, 7)), "petit.pdf", 100, func(t *testing.T, err error) {
			var tl *preuves.TooLargeError
			if !errors.As(err, &tl) {
				t.Errorf("err = %v, want a TooLargeError", err)
			}
		}},
		{"reader failing after 1 MiB", e.ctx, &failingReader{r: bytes.NewReader(pdfBytes(3<<20, 8)), after: 1 << 20, err: errCut}, "coupe.pdf", 20 << 20,
			func(t *testing.T, err error) {
				if !errors.Is(err, errCut) {
					t.Errorf("err = %v, want the read error", err)
				}
			}},
		{"reader failing within the head", e.ctx, &failingReader{r: bytes.NewReader(pdfBytes(3<<20, 8)), after: 100, err: errCut}, "coupe.pdf", 20 << 20,
			func(t *testing.T, err error) {
				if !errors.Is(err, errCut) {
					t.Errorf("err = %v, want the read error", err)
				}
			}},
		{"request canceled", canceled, bytes.NewReader(pdfBytes(1<<20, 9)), "a.pdf", 20 << 20, func(t *testing.T, err error) {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		}},
		{"exe", e.ctx, bytes.NewReader(append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 1<<20)...)), "rapport.pdf", 20 << 20, func(t *testing.T, err error) {
			wantField(t, "exe", err, "file")
		}},
		{"html", e.ctx, strings.NewReader("<html><script>alert(1)</script></html>"), "page.txt", 20 << 20, func(t *testing.T, err error) {
			wantField(t, "html", err, "file")
		}},
		{"empty", e.ctx, strings.NewReader(""), "vide.pdf", 20 << 20, func(t *testing.T, err error) {
			wantField(t, "empty", err, "file")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c0, m0 := e.stored(t)
			id, err := e.store.PutContent(tc.ctx, e.brest, tc.r, tc.file, tc.max)
			if err == nil || id != 0 {
				t.Fatalf("PutContent = %d, %v; want a refusal", id, err)
			}
			tc.check(t, err)
			if c, m := e.stored(t); c != c0 || m != m0 {
				t.Errorf("after the refusal: %+d contents, %+d chunks; want nothing stored", c-c0, m-m0)
			}
		})
	}
	// The limit itself is allowed.
	if _, err := e.store.PutContent(e.ctx, e.brest, bytes.NewReader(pdfBytes(1<<20, 10)), "juste.pdf", 1<<20); err != nil {
		t.Errorf("a file of exactly the limit: %v", err)
	}
}

// pdfStream produces n bytes on the fly: a PDF header, then pseudo-random bytes
// (incompressible, so nothing below can shrink them), hashing what it gives.
type pdfStream struct {
	left int64
	head []byte
	rng  *rand.ChaCha8
	sum  hash.Hash
}

func newPDFStream(n int64) *pdfStream {
	return &pdfStream{left: n, head: []byte("%PDF-1.7\n"), rng: rand.NewChaCha8([32]byte{42}), sum: sha256.New()}
}

func (s *pdfStream) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n := copy(p, s.head)
	s.head = s.head[n:]
	m, _ := s.rng.Read(p[n:])
	n += m
	s.left -= int64(n)
	s.sum.Write(p[:n])
	return n, nil
}

// TestPutContentStreams uploads 20 MiB generated on the fly and watches the
// heap: a store that kept the file in memory would grow it by 20 MiB at least
// (about 90 MiB when tried, with the copies a slice makes as it grows).
//
// What streaming holds is one 256 KiB chunk, pgx's copy of it in its send
// buffer, and the garbage of earlier chunks not yet collected. With GOGC=100
// (set here, whatever the environment says) the collector lets the heap reach
// about twice the live heap, and at least 4 MiB, before reclaiming: the growth
// seen is 3 to 4 MiB. The threshold of 12 MiB leaves that room three times
// over, for a slow or busy 2-core machine under -race, and stays well below
// the 20 MiB of the file. The sampler reads HeapAlloc every millisecond while
// the upload takes hundreds of milliseconds, so a buffered file cannot pass
// between two samples; and the peak is the highest value seen, never an
// average, so a slow machine only adds samples.
func TestPutContentStreams(t *testing.T) {
	e := newPreuveEnv(t)
	const size, limit = 20 << 20, 12 << 20
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	// Warm up: a connection of the pool, its prepared statements and buffers.
	e.put(t, e.brest, pdfBytes(600<<10, 11), "echauffement.pdf")

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	stream := newPDFStream(size)
	id, err := e.store.PutContent(e.ctx, e.brest, stream, "gros.pdf", size)
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	growth := int64(peak) - int64(base.HeapAlloc)
	t.Logf("heap: base %.1f MiB, peak growth %.1f MiB during a %d MiB upload", float64(base.HeapAlloc)/(1<<20), float64(growth)/(1<<20), size>>20)
	if growth >= limit {
		t.Errorf("the heap grew by %.1f MiB during a %d MiB upload; want under %d MiB (streaming)", float64(growth)/(1<<20), size>>20, limit>>20)
	}
	var sum []byte
	var taille int64
	if err := e.pool.QueryRow(e.ctx, "SELECT sha256, taille FROM preuve_contenus WHERE id = $1", id).Scan(&sum, &taille); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sum, stream.sum.Sum(nil)) || taille != size {
		t.Errorf("stored %d bytes of sha %x; want %d of %x", taille, sum, size, stream.sum.Sum(nil))
	}
}

func TestCreatePreuve(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	content := e.put(t, e.brest, pdfBytes(1000, 12), "cr.pdf")
	doc, fin := day("2026-01-10"), day("2027-01-10")
	id, err := e.store.CreatePreuveContent(e.ctx, domain.Preuve{StructureID: e.brest, Nature: domain.NatureFichier, Titre: "  Compte rendu  ", Type: "compte_rendu",
		DateDocument: &doc, FinValidite: &fin, SiteIDs: []int64{e.siteBrest, e.siteBrest}, Statut: domain.StatutAcceptee}, content, "../../Compte\n rendu.pdf", e.dirBrest)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.store.Preuve(e.ctx, domain.Visibility{StructureIDs: []int64{e.brest}}, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Titre != "Compte rendu" || p.Type != "compte_rendu" || p.Statut != domain.StatutDeposee || p.Version != 1 || p.Nom != "Compte rendu.pdf" ||
		p.Taille != 1000 || p.Mime != "application/pdf" || !slices.Equal(p.SiteIDs, []int64{e.siteBrest}) || p.URL != "" ||
		p.DateDocument == nil || !p.DateDocument.Equal(doc) || p.FinValidite == nil || !p.FinValidite.Equal(fin) || p.CreatedAt.IsZero() {
		t.Errorf("created piece = %+v", p)
	}
	history, err := e.store.StatutHistory(e.ctx, e.brest, id)
	if err != nil || len(history) != 1 || history[0].Statut != domain.StatutDeposee {
		t.Errorf("history = %+v, %v; want the deposit", history, err)
	}

	link, err := e.store.CreatePreuveContent(e.ctx, domain.Preuve{StructureID: e.brest, Nature: domain.NatureLien, Titre: "Site", Type: "autre", URL: "https://example.org/x"}, 0, "", e.dirBrest)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := e.store.Preuve(e.ctx, domain.Visibility{All: true}, link); p.URL != "https://example.org/x" || p.Version != 0 || p.Nom != "" {
		t.Errorf("link = %+v", p)
	}
	if _, err := e.store.CreatePreuveContent(e.ctx, domain.Preuve{StructureID: e.brest, Nature: domain.NatureSurPlace, Titre: "Registre", Type: "autre"}, 0, "", 0); err != nil {
		t.Errorf("sur place: %v", err)
	}

	lyonContent := e.put(t, e.lyon, pdfBytes(1000, 13), "lyon.pdf")
	before := countRows(t, e.pool, "SELECT count(*) FROM preuves")
	ok := domain.Preuve{StructureID: e.brest, Nature: domain.NatureFichier, Titre: "Procédure", Type: "procedure"}
	for _, tc := range []struct {
		name    string
		p       domain.Preuve
		content int64
		check   func(t *testing.T, err error)
	}{
		{"file without content", ok, 0, func(t *testing.T, err error) { wantField(t, "no content", err, "file") }},
		{"link with a content", domain.Preuve{StructureID: e.brest, Nature: domain.NatureLien, Titre: "x", Type: "autre", URL: "https://example.org"}, content,
			func(t *testing.T, err error) { wantField(t, "link with file", err, "file") }},
		{"bad metadata and no file, all said at once", domain.Preuve{StructureID: e.brest, Nature: domain.NatureFichier, Titre: " ", Type: "x"}, 0,
			func(t *testing.T, err error) {
				for _, f := range []string{"titre", "type", "file"} {
					wantField(t, "bad metadata", err, f)
				}
			}},
		{"link without url", domain.Preuve{StructureID: e.brest, Nature: domain.NatureLien, Titre: "x", Type: "autre", URL: "javascript:alert(1)"}, 0,
			func(t *testing.T, err error) { wantField(t, "bad url", err, "url") }},
		{"another ML's site", func() domain.Preuve { p := ok; p.SiteIDs = []int64{e.siteRennes}; return p }(), content,
			func(t *testing.T, err error) { wantField(t, "foreign site", err, "sites") }},
		{"unknown site", func() domain.Preuve { p := ok; p.SiteIDs = []int64{-1}; return p }(), content,
			func(t *testing.T, err error) { wantField(t, "unknown site", err, "sites") }},
		{"another ML's content", ok, lyonContent, func(t *testing.T, err error) { wantCode(t, "foreign content", err, domain.ENOTFOUND) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := e.store.CreatePreuveContent(e.ctx, tc.p, tc.content, "x.pdf", e.dirBrest)
			if id != 0 {
				t.Errorf("id = %d", id)
			}
			tc.check(t, err)
			if n := countRows(t, e.pool, "SELECT count(*) FROM preuves"); n != before {
				t.Errorf("%+d pieces after a refusal", n-before)
			}
		})
	}
}

func TestVersionsAndDownload(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	v1, v2 := pdfBytes(600<<10, 14), pdfBytes(300<<10, 15)
	id := e.fichier(t, e.brest, "Procédure", v1)
	n, err := e.store.AddVersionContent(e.ctx, e.brest, id, e.put(t, e.brest, v2, "v2.pdf"), "procédure v2.pdf", e.dirBrest)
	if err != nil || n != 2 {
		t.Fatalf("AddVersion = %d, %v", n, err)
	}
	p, err := e.store.Preuve(e.ctx, domain.Visibility{StructureIDs: []int64{e.brest}}, id)
	if err != nil || p.Version != 2 || p.Nom != "procédure v2.pdf" || p.Taille != int64(len(v2)) {
		t.Errorf("current = version %d %q %d bytes, %v; want version 2", p.Version, p.Nom, p.Taille, err)
	}
	versions, err := e.store.PreuveVersions(e.ctx, e.brest, id)
	if err != nil || len(versions) != 2 {
		t.Fatalf("versions = %+v, %v", versions, err)
	}
	s1, s2 := sha256.Sum256(v1), sha256.Sum256(v2)
	if versions[0].Version != 2 || versions[0].SHA256 != hex.EncodeToString(s2[:]) ||
		versions[1].Version != 1 || versions[1].SHA256 != hex.EncodeToString(s1[:]) || versions[1].Taille != int64(len(v1)) || versions[1].Mime != "application/pdf" ||
		versions[1].Nom != "Procédure.pdf" || versions[1].At.IsZero() || versions[1].ID == 0 {
		t.Errorf("versions = %+v", versions)
	}
	if versions[0].By == "" {
		t.Errorf("version 2 has no author")
	}

	for _, tc := range []struct {
		version int
		want    []byte
	}{{0, v2}, {2, v2}, {1, v1}} {
		c, data, err := e.read(t, e.brest, id, tc.version)
		if err != nil || !bytes.Equal(data, tc.want) {
			t.Errorf("version %d: read %d bytes, %v; want the %d bytes stored", tc.version, len(data), err, len(tc.want))
			continue
		}
		if c.Taille != int64(len(tc.want)) || c.Mime != "application/pdf" || c.Nom == "" || c.VersionID == 0 {
			t.Errorf("version %d: reader = %+v", tc.version, c)
		}
	}
	if _, err := e.store.OpenVersion(e.ctx, e.brest, id, 3); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("version 3: %v, want ENOTFOUND", err)
	}

	c, _, _ := e.read(t, e.brest, id, 1)
	if err := e.store.LogDownload(e.ctx, postgres.Person(e.auditeur), e.brest, id, c.VersionID); err != nil {
		t.Fatal(err)
	}
	if err := e.store.LogDownload(e.ctx, postgres.Person(e.dirBrest), e.brest, id, 0); err != nil {
		t.Fatal(err)
	}
	other := e.fichier(t, e.brest, "Autre", pdfBytes(100, 16))
	wantCode(t, "log a version of another piece", e.store.LogDownload(e.ctx, postgres.Person(e.auditeur), e.brest, other, c.VersionID), domain.ENOTFOUND)
	downloads, err := e.store.Downloads(e.ctx, e.brest, id)
	if err != nil || len(downloads) != 2 || downloads[0].Version != 0 || downloads[1].Version != 1 || downloads[1].By == "" {
		t.Errorf("downloads = %+v, %v", downloads, err)
	}

	link, err := e.store.CreatePreuveContent(e.ctx, domain.Preuve{StructureID: e.brest, Nature: domain.NatureLien, Titre: "x", Type: "autre", URL: "https://example.org"}, 0, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.store.AddVersionContent(e.ctx, e.brest, link, e.put(t, e.brest, v1, "x.pdf"), "x.pdf", e.dirBrest)
	wantCode(t, "version of a link", err, domain.EINVALID)
	_, err = e.store.OpenVersion(e.ctx, e.brest, link, 0)
	wantCode(t, "download a link", err, domain.ENOTFOUND)
	_, err = e.store.AddVersionContent(e.ctx, e.brest, id, e.put(t, e.lyon, v1, "x.pdf"), "x.pdf", e.dirBrest)
	wantCode(t, "version with another ML's content", err, domain.ENOTFOUND)
}

func TestOpenVersionDetectsCorruption(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sql  []string
	}{
		{"a byte changed", []string{"UPDATE preuve_morceaux SET data = set_byte(data, 10, (get_byte(data, 10) + 1) % 256) WHERE contenu_id = $1 AND seq = 1"}},
		{"a chunk missing", []string{"DELETE FROM preuve_morceaux WHERE contenu_id = $1 AND seq = 1"}},
		{"the last chunk missing", []string{"DELETE FROM preuve_morceaux WHERE contenu_id = $1 AND seq = 2"}},
		{"a chunk too many", []string{"INSERT INTO preuve_morceaux (contenu_id, seq, data) VALUES ($1, 3, '\\x00')"}},
		{"chunks swapped", []string{ // unique checks are per row: swap through a free number
			"UPDATE preuve_morceaux SET seq = -1 WHERE contenu_id = $1 AND seq = 0",
			"UPDATE preuve_morceaux SET seq = 0 WHERE contenu_id = $1 AND seq = 1",
			"UPDATE preuve_morceaux SET seq = 1 WHERE contenu_id = $1 AND seq = -1",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newPreuveEnv(t)
			data := pdfBytes(600<<10, 17)
			id := e.fichier(t, e.brest, "Procédure", data)
			if _, got, err := e.read(t, e.brest, id, 0); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("before: %d bytes, %v", len(got), err)
			}
			var contentID int64
			if err := e.pool.QueryRow(e.ctx, "SELECT contenu_id FROM preuve_versions WHERE preuve_id = $1", id).Scan(&contentID); err != nil {
				t.Fatal(err)
			}
			for _, sql := range tc.sql {
				if _, err := e.pool.Exec(e.ctx, sql, contentID); err != nil {
					t.Fatal(err)
				}
			}
			_, got, err := e.read(t, e.brest, id, 0)
			if !errors.Is(err, preuves.ErrCorrupt) {
				t.Errorf("read %d bytes, err = %v; want ErrCorrupt", len(got), err)
			}
			// The last chunk is held back: the download is visibly cut short.
			if len(got) > 2*256<<10 {
				t.Errorf("read %d bytes of a corrupt file of %d; want the last chunk held back", len(got), len(data))
			}
		})
	}
}

func TestPreuvesTenantIsolation(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	id := e.fichier(t, e.rennes, "Procédure de Rennes", pdfBytes(1000, 18))
	if err := e.store.Attach(e.ctx, nil, e.rennes, id, e.items[0]); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		v    domain.Visibility
		seen bool
	}{
		{"its ML", domain.Visibility{StructureIDs: []int64{e.rennes}}, true},
		{"its région", domain.Visibility{RegionIDs: []int64{e.f.Regions["BRE"]}}, true},
		{"national", domain.Visibility{All: true}, true},
		{"another ML", domain.Visibility{StructureIDs: []int64{e.brest}}, false},
		{"another région", domain.Visibility{RegionIDs: []int64{e.f.Regions["ARA"]}}, false},
		{"nobody", domain.Visibility{}, false},
	} {
		_, err := e.store.Preuve(e.ctx, tc.v, id)
		if tc.seen && err != nil || !tc.seen && domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("%s: Preuve = %v; want seen = %v", tc.name, err, tc.seen)
		}
	}

	// Every method taking the ML answers ENOTFOUND with another ML's id, and
	// changes nothing.
	other := e.brest
	brestContent := e.put(t, e.brest, pdfBytes(1000, 19), "b.pdf")
	_, err := e.store.OpenVersion(e.ctx, other, id, 0)
	wantCode(t, "OpenVersion", err, domain.ENOTFOUND)
	wantCode(t, "Attach", e.store.Attach(e.ctx, nil, other, id, e.items[1]), domain.ENOTFOUND)
	wantCode(t, "Detach", e.store.Detach(e.ctx, nil, other, id, e.items[0]), domain.ENOTFOUND)
	_, err = e.store.AddVersionContent(e.ctx, other, id, brestContent, "b.pdf", e.dirBrest)
	wantCode(t, "AddVersion", err, domain.ENOTFOUND)
	wantCode(t, "UpdatePreuve", e.store.UpdatePreuve(e.ctx, nil, domain.Preuve{ID: id, StructureID: other, Titre: "Piraté", Type: "autre"}), domain.ENOTFOUND)
	wantCode(t, "LogDownload", e.store.LogDownload(e.ctx, nil, other, id, 0), domain.ENOTFOUND)
	wantCode(t, "SetStatut", e.store.SetStatut(e.ctx, postgres.Person(e.dirBrest), other, id, domain.StatutAcceptee, ""), domain.ENOTFOUND)
	_, err = e.store.PreuveVersions(e.ctx, other, id)
	wantCode(t, "PreuveVersions", err, domain.ENOTFOUND)
	_, err = e.store.PreuveItems(e.ctx, other, id)
	wantCode(t, "PreuveItems", err, domain.ENOTFOUND)
	_, err = e.store.Downloads(e.ctx, other, id)
	wantCode(t, "Downloads", err, domain.ENOTFOUND)
	_, err = e.store.StatutHistory(e.ctx, other, id)
	wantCode(t, "StatutHistory", err, domain.ENOTFOUND)
	list, err := e.store.ListPreuves(e.ctx, other, preuves.Filter{})
	if err != nil || slices.ContainsFunc(list, func(p domain.Preuve) bool { return p.ID == id }) {
		t.Errorf("ListPreuves of another ML = %v, %v", list, err)
	}
	list, err = e.store.PreuvesOfItem(e.ctx, other, e.items[0])
	if err != nil || len(list) != 0 {
		t.Errorf("PreuvesOfItem of another ML = %v, %v", list, err)
	}
	if cov, err := e.store.CoverageCounts(e.ctx, other, e.refID); err != nil || len(cov) != 0 {
		t.Errorf("CoverageCounts of another ML = %v, %v", cov, err)
	}

	p, err := e.store.Preuve(e.ctx, domain.Visibility{All: true}, id)
	if err != nil || p.Titre != "Procédure de Rennes" || p.Version != 1 || p.Items != 1 || p.Statut != domain.StatutDeposee {
		t.Errorf("after the attempts: %+v, %v", p, err)
	}
}

func TestAttachDetachCoverage(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	p1 := e.fichier(t, e.brest, "Un", pdfBytes(100, 20))
	p2 := e.fichier(t, e.brest, "Deux", pdfBytes(100, 21))
	a, b := e.items[0], e.items[1]
	for _, step := range [][2]int64{{p1, a}, {p1, a}, {p2, a}, {p1, b}} {
		if err := e.store.Attach(e.ctx, nil, e.brest, step[0], step[1]); err != nil {
			t.Fatal(err)
		}
	}
	cov, err := e.store.CoverageCounts(e.ctx, e.brest, e.refID)
	if err != nil || len(cov) != 2 || cov[e.codes[0]] != 2 || cov[e.codes[1]] != 1 {
		t.Errorf("coverage = %v, %v; want %s: 2, %s: 1", cov, err, e.codes[0], e.codes[1])
	}
	if codes, err := e.store.PreuveItems(e.ctx, e.brest, p1); err != nil || !slices.Equal(codes, e.codes[:2]) {
		t.Errorf("items of p1 = %v, %v; want %v", codes, err, e.codes[:2])
	}
	if p, _ := e.store.Preuve(e.ctx, domain.Visibility{All: true}, p1); p.Items != 2 {
		t.Errorf("p1 supports %d items, want 2", p.Items)
	}
	list, err := e.store.PreuvesOfItem(e.ctx, e.brest, a)
	if err != nil || len(list) != 2 || list[0].ID != p2 || list[1].ID != p1 { // by title: Deux, Un
		t.Errorf("pieces of item a = %+v, %v", list, err)
	}
	for range 2 {
		if err := e.store.Detach(e.ctx, nil, e.brest, p2, a); err != nil {
			t.Fatal(err)
		}
	}
	if cov, _ := e.store.CoverageCounts(e.ctx, e.brest, e.refID); len(cov) != 2 || cov[e.codes[0]] != 1 || cov[e.codes[1]] != 1 {
		t.Errorf("coverage after detach = %v", cov)
	}
	if cov, err := e.store.CoverageCounts(e.ctx, e.brest, -1); err != nil || len(cov) != 0 {
		t.Errorf("coverage of an unknown référentiel = %v, %v", cov, err)
	}
	wantCode(t, "attach to an unknown item", e.store.Attach(e.ctx, nil, e.brest, p1, -1), domain.ENOTFOUND)
	wantCode(t, "attach an unknown piece", e.store.Attach(e.ctx, nil, e.brest, -1, a), domain.ENOTFOUND)
}

func TestListPreuvesFilters(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	past, future := day("2026-01-31"), day("2026-03-01")
	mk := func(titre, typ string, fin *time.Time) int64 {
		id, err := e.store.CreatePreuveContent(e.ctx, domain.Preuve{StructureID: e.brest, Nature: domain.NatureSurPlace, Titre: titre, Type: typ, FinValidite: fin}, 0, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	expired := mk("b expirée", "procedure", &past)
	lastDay := mk("C valide jusqu'au 1er mars", "procedure", &future)
	open := mk("a sans fin", "compte_rendu", nil)
	if err := e.store.Attach(e.ctx, nil, e.brest, open, e.items[2]); err != nil {
		t.Fatal(err)
	}
	ids := func(list []domain.Preuve, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, p := range list {
			// The demo's own pieces of Brest (its plan's proofs) are not this test's.
			if p.ID == open || p.ID == expired || p.ID == lastDay {
				out = append(out, p.ID)
			}
		}
		return out
	}
	today := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		f    preuves.Filter
		want []int64
	}{
		{"all, by title whatever the case", preuves.Filter{}, []int64{open, expired, lastDay}},
		{"type", preuves.Filter{Type: "procedure"}, []int64{expired, lastDay}},
		{"unknown type", preuves.Filter{Type: "x"}, nil},
		{"expired on 1 March: not the one ending that day", preuves.Filter{Expired: true, Today: today}, []int64{expired}},
		{"expired on 2 March", preuves.Filter{Expired: true, Today: today.AddDate(0, 0, 1)}, []int64{expired, lastDay}},
		{"expired, type", preuves.Filter{Expired: true, Today: today.AddDate(0, 0, 1), Type: "compte_rendu"}, nil},
		{"item", preuves.Filter{ItemID: e.items[2]}, []int64{open}},
	} {
		if got := ids(e.store.ListPreuves(e.ctx, e.brest, tc.f)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestUpdatePreuve(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	id := e.fichier(t, e.brest, "Avant", pdfBytes(100, 22))
	fin := day("2027-06-30")
	err := e.store.UpdatePreuve(e.ctx, nil, domain.Preuve{ID: id, StructureID: e.brest, Nature: domain.NatureLien, Titre: " Après ", Type: "tableau_de_bord",
		FinValidite: &fin, SiteIDs: []int64{e.siteBrest}, URL: "https://example.org"})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := e.store.Preuve(e.ctx, domain.Visibility{All: true}, id)
	if p.Titre != "Après" || p.Type != "tableau_de_bord" || p.Nature != domain.NatureFichier || p.URL != "" || p.Version != 1 ||
		p.FinValidite == nil || !p.FinValidite.Equal(fin) || !slices.Equal(p.SiteIDs, []int64{e.siteBrest}) {
		t.Errorf("updated = %+v", p)
	}
	if err := e.store.UpdatePreuve(e.ctx, nil, domain.Preuve{ID: id, StructureID: e.brest, Titre: "Après", Type: "autre"}); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.store.Preuve(e.ctx, domain.Visibility{All: true}, id); len(p.SiteIDs) != 0 || p.FinValidite != nil {
		t.Errorf("sites and end not cleared: %+v", p)
	}
	wantField(t, "empty title", e.store.UpdatePreuve(e.ctx, nil, domain.Preuve{ID: id, StructureID: e.brest, Titre: "", Type: "autre"}), "titre")
	wantField(t, "foreign site", e.store.UpdatePreuve(e.ctx, nil, domain.Preuve{ID: id, StructureID: e.brest, Titre: "x", Type: "autre", SiteIDs: []int64{e.siteRennes}}), "sites")

	link, err := e.store.CreatePreuveContent(e.ctx, domain.Preuve{StructureID: e.brest, Nature: domain.NatureLien, Titre: "Lien", Type: "autre", URL: "https://example.org/a"}, 0, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.UpdatePreuve(e.ctx, nil, domain.Preuve{ID: link, StructureID: e.brest, Titre: "Lien", Type: "autre", URL: "https://example.org/b"}); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.store.Preuve(e.ctx, domain.Visibility{All: true}, link); p.URL != "https://example.org/b" {
		t.Errorf("url = %q", p.URL)
	}
	wantField(t, "link without url", e.store.UpdatePreuve(e.ctx, nil, domain.Preuve{ID: link, StructureID: e.brest, Titre: "Lien", Type: "autre"}), "url")
}

func TestSetStatut(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	id := e.fichier(t, e.brest, "Procédure", pdfBytes(100, 23))
	wantField(t, "refusal without reason", e.store.SetStatut(e.ctx, postgres.Person(e.auditeur), e.brest, id, domain.StatutRefusee, "  "), "motif")
	wantField(t, "unknown status", e.store.SetStatut(e.ctx, postgres.Person(e.auditeur), e.brest, id, "perdue", ""), "statut")
	if p, _ := e.store.Preuve(e.ctx, domain.Visibility{All: true}, id); p.Statut != domain.StatutDeposee {
		t.Errorf("a refused decision changed the status to %q", p.Statut)
	}
	for _, step := range [][2]string{
		{domain.StatutRefusee, "Document illisible"},
		{domain.StatutRefusee, "Document illisible"}, // the same again: no new entry
		{domain.StatutAcceptee, ""},
	} {
		if err := e.store.SetStatut(e.ctx, postgres.Person(e.auditeur), e.brest, id, step[0], step[1]); err != nil {
			t.Fatal(err)
		}
	}
	history, err := e.store.StatutHistory(e.ctx, e.brest, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range history {
		got = append(got, h.Statut+":"+h.Motif)
		if h.At.IsZero() {
			t.Errorf("entry without date: %+v", h)
		}
	}
	if want := []string{"acceptee:", "refusee:Document illisible", "deposee:"}; !slices.Equal(got, want) {
		t.Errorf("history = %v, want %v", got, want)
	}
	if history[0].By == "" {
		t.Errorf("decision without its author: %+v", history[0])
	}

	// A new file goes back to review.
	if err := e.store.SetStatut(e.ctx, postgres.Person(e.auditeur), e.brest, id, domain.StatutRefusee, "Périmé"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddVersionContent(e.ctx, e.brest, id, e.put(t, e.brest, pdfBytes(100, 24), "v2.pdf"), "v2.pdf", e.dirBrest); err != nil {
		t.Fatal(err)
	}
	p, _ := e.store.Preuve(e.ctx, domain.Visibility{All: true}, id)
	history, _ = e.store.StatutHistory(e.ctx, e.brest, id)
	if p.Statut != domain.StatutDeposee || p.Motif != "" || len(history) != 5 || history[0].Statut != domain.StatutDeposee || history[0].Motif != "Version 2 déposée." {
		t.Errorf("after a new version: %q %q, history %+v", p.Statut, p.Motif, history)
	}
}

func TestRGPDAcknowledgement(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	if _, ok, err := e.store.RGPDAcknowledged(e.ctx, e.dirBrest); ok || err != nil {
		t.Fatalf("before: %v, %v", ok, err)
	}
	if err := e.store.AcknowledgeRGPD(e.ctx, postgres.Person(e.dirBrest), e.dirBrest); err != nil {
		t.Fatal(err)
	}
	at, ok, err := e.store.RGPDAcknowledged(e.ctx, e.dirBrest)
	if !ok || err != nil || time.Since(at) > time.Minute {
		t.Fatalf("after: %v %v, %v", at, ok, err)
	}
	first := time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)
	if _, err := e.pool.Exec(e.ctx, "UPDATE rgpd_acquittements SET acquitte = $2 WHERE user_id = $1", e.dirBrest, first); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AcknowledgeRGPD(e.ctx, postgres.Person(e.dirBrest), e.dirBrest); err != nil {
		t.Fatal(err)
	}
	if at, ok, _ := e.store.RGPDAcknowledged(e.ctx, e.dirBrest); !ok || !at.Equal(first) {
		t.Errorf("again: %v; want the first date %v kept", at, first)
	}
	if _, ok, _ := e.store.RGPDAcknowledged(e.ctx, e.auditeur); ok {
		t.Error("someone else counts as having acknowledged")
	}
}

func TestDocumentsARML(t *testing.T) {
	t.Parallel()
	e := newPreuveEnv(t)
	if ok, err := e.store.DocumentsARML(e.ctx, e.brest); ok || err != nil {
		t.Fatalf("default: %v, %v; want false", ok, err)
	}
	for _, allowed := range []bool{true, true, false} {
		if err := e.store.SetDocumentsARML(e.ctx, nil, e.brest, allowed); err != nil {
			t.Fatal(err)
		}
		if ok, err := e.store.DocumentsARML(e.ctx, e.brest); ok != allowed || err != nil {
			t.Errorf("after setting %v: %v, %v", allowed, ok, err)
		}
	}
	if err := e.store.SetDocumentsARML(e.ctx, nil, e.rennes, true); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.store.DocumentsARML(e.ctx, e.brest); ok {
		t.Error("Rennes's choice changed Brest's")
	}
	wantCode(t, "set on an unknown ML", e.store.SetDocumentsARML(e.ctx, nil, -1, true), domain.ENOTFOUND)
	_, err := e.store.DocumentsARML(e.ctx, -1)
	wantCode(t, "read of an unknown ML", err, domain.ENOTFOUND)
}
