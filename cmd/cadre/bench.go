package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/unml/cadre/internal/config"
	"github.com/unml/cadre/internal/national"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/referentiel"
)

// Roles the benchmark signs in as.
const (
	asVisitor  = "visiteur"
	asDirector = "directeur"
	asPole     = "pole"
	asReferent = "referent_arml"
	asAuditor  = "auditeur"
)

// benchScenario is one line of the benchmark: who asks, and what. A scenario
// whose route answers 404 at start-up is skipped with a note, so that pages of
// issues not merged yet can be listed before they exist.
type benchScenario struct {
	name string
	role string
	// floor marks the reference measures pages are compared with.
	floor bool
	// path is the URL of a GET; request, when set, builds the request instead.
	path    func(c *benchClient) string
	request func(c *benchClient, base string) (*http.Request, error)
	// after reads the answer (the save's new version); nil discards it.
	after func(c *benchClient, resp *http.Response, body []byte) error
	// targetP95 and targetShare are the targets (0: none).
	targetP95   time.Duration
	targetShare float64
}

// benchSection is the fonction page measured, and whose items are saved.
const benchSection = "F2"

var benchScenarios = []benchScenario{
	{name: "floor-healthz", role: asVisitor, floor: true, path: func(*benchClient) string { return "/healthz" }},
	{name: "floor-static", role: asVisitor, floor: true, path: func(c *benchClient) string { return c.run.staticPath }},
	{name: "floor-readyz", role: asVisitor, floor: true, path: func(*benchClient) string { return "/readyz" }},
	{name: "floor-signed-in", role: asDirector, floor: true, path: func(*benchClient) string { return "/debug/plancher" }},
	{name: "fonction-page", role: asDirector, targetP95: 25 * time.Millisecond, targetShare: 0.40,
		path: func(c *benchClient) string {
			return fmt.Sprintf("/autoevaluations/%d/sections/%s", c.sheet.AutoevalID, benchSection)
		}},
	{name: "save", role: asDirector, targetP95: 25 * time.Millisecond, targetShare: 0.40, request: saveRequest, after: afterSave},
	{name: "ml-dashboard", role: asDirector, targetP95: 25 * time.Millisecond, targetShare: 0.40,
		path: func(c *benchClient) string { return fmt.Sprintf("/autoevaluations/%d", c.sheet.AutoevalID) }},
	{name: "checklist", role: asDirector,
		path: func(c *benchClient) string { return fmt.Sprintf("/autoevaluations/%d/soumission", c.sheet.AutoevalID) }},
	{name: "library", role: asDirector,
		path: func(c *benchClient) string { return fmt.Sprintf("/reseau/structures/%d/preuves", c.sheet.StructureID) }},
	{name: "download", role: asDirector,
		path: func(c *benchClient) string { return fmt.Sprintf("/preuves/%d/telecharger", c.sheet.BigFileID) }},
	{name: "campaign-page", role: asPole, targetP95: 50 * time.Millisecond,
		path: func(c *benchClient) string { return fmt.Sprintf("/campagnes/%d", c.run.targets.CampagneID) }},
	{name: "reseau", role: asPole, targetP95: 50 * time.Millisecond, path: func(*benchClient) string { return "/reseau" }},
	{name: "region", role: asReferent, path: func(c *benchClient) string { return fmt.Sprintf("/reseau/regions/%d", c.regionID) }},
	// Pages of the issues in progress: their URLs are the expected ones; each
	// is skipped while it answers 404. Adjust the URL when the feature lands.
	{name: "region-pipeline", role: asReferent, path: func(c *benchClient) string { return fmt.Sprintf("/revue/regions/%d", c.regionID) }},
	{name: "region-heatmap", role: asReferent, path: func(c *benchClient) string { return fmt.Sprintf("/revue/regions/%d/carte", c.regionID) }},
	{name: "ml-report", role: asDirector, path: func(c *benchClient) string { return fmt.Sprintf("/autoevaluations/%d/rapport", c.sheet.AutoevalID) }},
	// The audit, the plan, the commission and the register (issues 13, 14).
	{name: "audit-queue", role: asPole, targetP95: 50 * time.Millisecond, path: func(*benchClient) string { return "/audits" }},
	{name: "ml-plan", role: asDirector, targetP95: 25 * time.Millisecond,
		path: func(c *benchClient) string { return fmt.Sprintf("/plan/structures/%d", c.sheet.StructureID) }},
	{name: "commission", role: asPole, targetP95: 50 * time.Millisecond, path: func(*benchClient) string { return "/commission" }},
	{name: "registre", role: asPole, targetP95: 50 * time.Millisecond, path: func(*benchClient) string { return "/registre" }},
	{name: "audit-workspace", role: asAuditor, path: func(c *benchClient) string { return fmt.Sprintf("/audits/%d", c.run.targets.AuditID) }},
	{name: "national-dashboard", role: asPole, path: func(*benchClient) string { return "/pilotage" }},
	{name: "campaign-export", role: asPole, path: func(c *benchClient) string { return fmt.Sprintf("/campagnes/%d/export.csv", c.run.targets.CampagneID) }},
}

// saveRequest rates the client's own item (no two clients share one), always
// to a value other than the saved one, from the version last seen.
func saveRequest(c *benchClient, base string) (*http.Request, error) {
	next := c.valeur%4 + 1
	form := url.Values{"version-" + c.item: {strconv.Itoa(c.version)}, "valeur-" + c.item: {strconv.Itoa(next)}}
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/autoevaluations/%d/items/%s", base, c.sheet.AutoevalID, c.item), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

func afterSave(c *benchClient, resp *http.Response, body []byte) error {
	var res struct {
		Status  string `json:"status"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(body, &res); err != nil || res.Status != "saved" {
		return fmt.Errorf("save answered %q (%v)", res.Status, err)
	}
	c.version, c.valeur = res.Version, c.valeur%4+1
	return nil
}

// benchClient is one signed-in person (or a visitor), with what they work on.
type benchClient struct {
	run    *benchRun
	cookie string
	sheet  postgres.BenchSheet
	// The item this client alone saves, and its state.
	item            string
	version, valeur int
	regionID        int64
	buf             []byte
}

// benchRun is one run of the benchmark against one server.
type benchRun struct {
	// ownerURL is the owner role's connection string, for the server's migrations.
	ownerURL        string
	base, debugBase string
	http            *http.Client
	targets         postgres.BenchTargets
	staticPath      string
	serverPID       int
	postmasterPID   int
	clients         map[string][]*benchClient
	// profileDir, when set, receives the server's CPU profile of each scenario.
	profileDir string
}

// BenchResult is one scenario's measure, as the JSON file holds it.
type BenchResult struct {
	Name           string         `json:"name"`
	Role           string         `json:"role"`
	Floor          bool           `json:"floor"`
	Skipped        bool           `json:"skipped,omitempty"`
	Note           string         `json:"note,omitempty"`
	Requests       int            `json:"requests"`
	RPS            float64        `json:"rps"`
	P50            float64        `json:"p50_ms"`
	P95            float64        `json:"p95_ms"`
	P99            float64        `json:"p99_ms"`
	Errors         int            `json:"errors"`
	ErrorsByStatus map[string]int `json:"errors_by_status,omitempty"`
	AllocsPerReq   float64        `json:"allocs_per_req"`
	BytesPerReq    float64        `json:"alloc_bytes_per_req"`
	// StatementsPerReq counts what the server sent PostgreSQL (BEGIN, COMMIT included).
	StatementsPerReq float64  `json:"statements_per_req"`
	RoundTripsPerReq float64  `json:"round_trips_per_req"`
	ServerCPU        float64  `json:"server_cpu_s"`
	PostgresCPU      float64  `json:"postgres_cpu_s"`
	ClientCPU        float64  `json:"client_cpu_s"`
	ShareOfFloor     float64  `json:"share_of_signed_in_floor"`
	RSSMB            float64  `json:"rss_end_mb"`
	Targets          []string `json:"targets_missed,omitempty"`
}

// BenchReport is the JSON file's content.
type BenchReport struct {
	StartedAt   time.Time      `json:"started_at"`
	Machine     string         `json:"machine"`
	CPUs        int            `json:"cpus"`
	GoVersion   string         `json:"go_version"`
	Version     string         `json:"cadre_version"`
	Clients     int            `json:"clients"`
	DurationS   float64        `json:"duration_s"`
	Dataset     map[string]int `json:"dataset"`
	Scenarios   []BenchResult  `json:"scenarios"`
	RSSIdleMB   float64        `json:"rss_idle_mb"`
	RSSPeakMB   float64        `json:"rss_peak_mb"`
	ServerCPU   float64        `json:"server_cpu_s"`
	PostgresCPU float64        `json:"postgres_cpu_s"`
	ClientCPU   float64        `json:"client_cpu_s"`
	TargetsMet  bool           `json:"targets_met"`
	Elapsed     float64        `json:"elapsed_s"`
}

// benchCmd runs `cadre bench`: the national dataset (seeded first into an empty
// database), a server started on it, clients signed in, and every scenario
// measured in turn.
func benchCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	clients := fs.Int("clients", 50, "")
	duration := fs.Duration("duration", 20*time.Second, "")
	jsonPath := fs.String("json", "", "")
	only := fs.String("only", "", "")
	seed := fs.Int64("seed", 1, "")
	sizeName := fs.String("size", "national", "")
	profiles := fs.String("profile", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *clients < 1 || *duration < 100*time.Millisecond {
		return usageError("bench takes: [--clients N] [--duration D] [--json FILE] [--only REGEXP] [--seed N] [--size national|tiny] [--profile DIR]")
	}
	size, ok := map[string]national.Size{"national": national.National, "tiny": national.Tiny}[*sizeName]
	if !ok {
		return usageError("--size is national or tiny")
	}
	var filter *regexp.Regexp
	if *only != "" {
		var err error
		if filter, err = regexp.Compile(*only); err != nil {
			return usageError("--only: %v", err)
		}
	}
	cfg, logger, err := setup(getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.Env == config.Production {
		return &exitError{code: 2, err: errors.New("the benchmark is refused when CADRE_ENV=production: it seeds accounts with a published password")}
	}
	began := time.Now()
	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.migrate(ctx); err != nil {
		return err
	}
	store := postgres.NewStore(db.pool)
	empty, err := store.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if empty {
		start := time.Now()
		fmt.Fprintf(stdout, "Seeding the national dataset (seed %d)…\n", *seed)
		if err := national.Seed(ctx, store, size, *seed, passwordParams); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Seeded in %s.\n", time.Since(start).Round(100*time.Millisecond))
	}
	ref, _, err := store.Referentiel(ctx, referentiel.DefaultCode, "")
	if err != nil {
		return err
	}
	var codes []string
	for _, it := range ref.Items() {
		if referentiel.SectionOf(it) == benchSection {
			codes = append(codes, it.Code)
		}
	}
	targets, err := store.NationalBenchTargets(ctx, *clients, codes)
	if err != nil {
		return err
	}
	if len(targets.Sheets) == 0 || targets.PoleEmail == "" || len(codes) == 0 {
		return errors.New("this database holds no national dataset: run the benchmark on an empty database (its own CADRE_DATA_DIR or DATABASE_URL), which it seeds")
	}
	conn := cfg.DatabaseURL
	postmaster := 0
	if db.cluster != nil {
		// The server runs as the application role, under row-level security,
		// as in production.
		conn = db.cluster.ConnStringAs(postgres.AppRole, "cadre")
		postmaster = readPID(filepath.Join(db.cluster.Dir(), "data", "postmaster.pid"))
	} else {
		var backend int
		if err := db.pool.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err == nil {
			postmaster = parentPID(backend) // 0 when PostgreSQL runs elsewhere
		}
	}

	run := &benchRun{targets: targets, postmasterPID: postmaster, clients: map[string][]*benchClient{}, profileDir: *profiles,
		ownerURL: db.ownerURL}
	if *profiles != "" {
		if err := os.MkdirAll(*profiles, 0o755); err != nil {
			return err
		}
	}
	stop, logPath, err := run.startServer(ctx, conn)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(stdout, "Server %s (pid %d, log %s); signing in %d clients per role…\n", run.base, run.serverPID, logPath, *clients)
	rssIdle := procStatusKB(run.serverPID, "VmRSS")
	if err := run.signIn(ctx, *clients); err != nil {
		return err
	}
	if run.staticPath, err = run.findStatic(); err != nil {
		return err
	}

	report := BenchReport{StartedAt: began.UTC(), Machine: machine(), CPUs: runtime.NumCPU(), GoVersion: runtime.Version(),
		Version: buildVersion(), Clients: *clients, DurationS: duration.Seconds(), RSSIdleMB: float64(rssIdle) / 1024,
		Dataset: map[string]int{"regions": targets.Regions, "structures": targets.Structures, "sites": targets.Sites,
			"users": targets.Users, "preuves": targets.Preuves, "cotations": targets.Cotations}}
	cpu0 := run.cpu()
	for _, sc := range benchScenarios {
		if filter != nil && !sc.floor && !filter.MatchString(sc.name) {
			continue
		}
		res := run.measure(ctx, sc, *duration)
		report.Scenarios = append(report.Scenarios, res)
		if res.Skipped {
			fmt.Fprintf(stdout, "  %-20s skipped: %s\n", sc.name, res.Note)
		} else {
			fmt.Fprintf(stdout, "  %-20s %8.0f rps  p95 %6.1f ms  errors %d\n", sc.name, res.RPS, res.P95, res.Errors)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	cpu1 := run.cpu()
	report.ServerCPU, report.PostgresCPU, report.ClientCPU = cpu1.server-cpu0.server, cpu1.postgres-cpu0.postgres, cpu1.client-cpu0.client
	report.RSSPeakMB = float64(procStatusKB(run.serverPID, "VmHWM")) / 1024
	report.TargetsMet = judge(&report)
	report.Elapsed = time.Since(began).Seconds()
	writeBenchTable(stdout, &report)
	if *jsonPath != "" {
		b, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nJSON written to %s.\n", *jsonPath)
	}
	return nil
}

// benchInProcess, set by tests, runs the server in this process (the test
// binary is no `cadre`); the benchmark proper runs `cadre serve` apart, so
// that its RSS, CPU and allocations are the server's alone.
var benchInProcess bool

// startServer runs `cadre serve` from this same executable on free ports, with
// the debug endpoints, and waits until it is ready; its output goes to a log
// file. stop ends it.
func (run *benchRun) startServer(ctx context.Context, conn string) (stop func(), logPath string, err error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	debugAddr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	logFile, err := os.CreateTemp("", "cadre-bench-server-*.log")
	if err != nil {
		return nil, "", err
	}
	vars := map[string]string{"DATABASE_URL": conn, "MIGRATE_DATABASE_URL": run.ownerURL, "CADRE_ADDR": addr, "CADRE_DEBUG_ADDR": debugAddr, "CADRE_ENV": "development",
		"CADRE_BASE_URL": "http://" + addr, "CADRE_SMTP_URL": ""}
	run.base, run.debugBase = "http://"+addr, "http://"+debugAddr
	run.http = &http.Client{
		Transport: &http.Transport{MaxIdleConns: 0, MaxIdleConnsPerHost: 1024, DisableCompression: true, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: time.Minute,
	}
	exited := make(chan error, 1)
	if benchInProcess {
		sctx, cancel := context.WithCancel(ctx)
		getenv := func(k string) string {
			if v, ok := vars[k]; ok {
				return v
			}
			return os.Getenv(k)
		}
		go func() { exited <- serveInProcess(sctx, getenv, logFile) }()
		run.serverPID = os.Getpid()
		stop = func() {
			cancel()
			<-exited
			logFile.Close()
		}
	} else {
		exe, err := os.Executable()
		if err != nil {
			logFile.Close()
			return nil, "", err
		}
		cmd := exec.Command(exe, "serve")
		for k, v := range vars {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); vars[k] == "" && k != "CADRE_SMTP_URL" {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			logFile.Close()
			return nil, "", err
		}
		logFile.Close()
		run.serverPID = cmd.Process.Pid
		go func() { exited <- cmd.Wait() }()
		stop = func() { stopServer(cmd, exited) }
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := run.http.Get(run.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return stop, logFile.Name(), nil
			}
		}
		select {
		case err := <-exited:
			exited <- err
			stop()
			return nil, "", fmt.Errorf("the server stopped (%v): see %s", err, logFile.Name())
		case <-ctx.Done():
			stop()
			return nil, "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, "", fmt.Errorf("the server was not ready within 2 minutes: see %s", logFile.Name())
		}
	}
}

// serveInProcess is `cadre serve` in this process, for tests.
func serveInProcess(ctx context.Context, getenv func(string) string, out io.Writer) error {
	return serve(ctx, getenv, out, out)
}

// stopServer asks the server to finish (SIGINT), then kills it after 40 s.
func stopServer(cmd *exec.Cmd, exited chan error) {
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-exited:
		exited <- err
	case <-time.After(40 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// signIn opens n sessions per role, two sign-ins at a time (each hashes a
// password): directors each on their own ML's open sheet and their own item,
// the national team, the ARML référents of every région in turn, and the
// certified auditor of an audit under way.
func (run *benchRun) signIn(ctx context.Context, n int) error {
	t := run.targets
	var all []*benchClient
	for i := range n {
		sh := t.Sheets[i%len(t.Sheets)]
		c := &benchClient{run: run, sheet: sh}
		codes := make([]string, 0, len(sh.Items))
		for code := range sh.Items {
			codes = append(codes, code)
		}
		slices.Sort(codes)
		if len(codes) == 0 {
			return fmt.Errorf("the sheet %d has no answer in %s", sh.AutoevalID, benchSection)
		}
		c.item = codes[(i/len(t.Sheets))%len(codes)]
		a := sh.Items[c.item]
		c.version, c.valeur = a.Version, a.Valeur
		run.clients[asDirector] = append(run.clients[asDirector], c)
		p := &benchClient{run: run, sheet: t.Sheets[0]}
		run.clients[asPole] = append(run.clients[asPole], p)
		run.clients[asVisitor] = append(run.clients[asVisitor], &benchClient{run: run, sheet: t.Sheets[0]})
		all = append(all, c, p)
		if len(t.Referents) > 0 {
			r := &benchClient{run: run, sheet: t.Sheets[0], regionID: t.Referents[i%len(t.Referents)].RegionID}
			run.clients[asReferent] = append(run.clients[asReferent], r)
			all = append(all, r)
		}
		// The certified auditor of an audit under way, in its workspace.
		if t.AuditID != 0 {
			a := &benchClient{run: run, sheet: t.Sheets[0]}
			run.clients[asAuditor] = append(run.clients[asAuditor], a)
			all = append(all, a)
		}
	}
	emails := map[*benchClient]string{}
	for i, c := range run.clients[asDirector] {
		emails[c] = c.sheet.Email
		emails[run.clients[asPole][i]] = t.PoleEmail
	}
	for i, c := range run.clients[asReferent] {
		emails[c] = t.Referents[i%len(t.Referents)].Email
	}
	for _, c := range run.clients[asAuditor] {
		emails[c] = t.AuditeurEmail
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(all))
	next := make(chan *benchClient)
	for range 2 {
		wg.Go(func() {
			for c := range next {
				if err := run.login(c, emails[c]); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, c := range all {
		if ctx.Err() != nil {
			break
		}
		next <- c
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

func (run *benchRun) login(c *benchClient, email string) error {
	form := url.Values{"email": {email}, "password": {national.Password}}
	resp, err := run.http.PostForm(run.base+"/connexion", form)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "cadre_session" && ck.Value != "" {
			c.cookie = ck.Name + "=" + ck.Value
		}
	}
	if resp.StatusCode != http.StatusSeeOther || c.cookie == "" {
		return fmt.Errorf("sign-in of %s answered %d without a session", email, resp.StatusCode)
	}
	return nil
}

var stylesheet = regexp.MustCompile(`href="(/static/[^"]+\.css)"`)

// findStatic reads the stylesheet's versioned URL from the sign-in page.
func (run *benchRun) findStatic() (string, error) {
	resp, err := run.http.Get(run.base + "/connexion")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := stylesheet.FindSubmatch(b)
	if m == nil {
		return "", errors.New("no stylesheet link on the sign-in page")
	}
	return string(m[1]), nil
}

// do sends one request of the scenario and reads the whole answer.
func (run *benchRun) do(sc benchScenario, c *benchClient) (status int, err error) {
	var req *http.Request
	if sc.request != nil {
		req, err = sc.request(c, run.base)
	} else {
		req, err = http.NewRequest(http.MethodGet, run.base+sc.path(c), nil)
	}
	if err != nil {
		return 0, err
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
	}
	resp, err := run.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if sc.after != nil {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return resp.StatusCode, err
		}
		if resp.StatusCode == http.StatusOK {
			return resp.StatusCode, sc.after(c, resp, b)
		}
		return resp.StatusCode, nil
	}
	if c.buf == nil {
		c.buf = make([]byte, 64<<10)
	}
	for {
		_, err := resp.Body.Read(c.buf)
		if err == io.EOF {
			return resp.StatusCode, nil
		} else if err != nil {
			return resp.StatusCode, err
		}
	}
}

// measure runs one scenario: a probe (404: skipped), a short warm-up, then
// every client in a closed loop for the duration.
func (run *benchRun) measure(ctx context.Context, sc benchScenario, d time.Duration) BenchResult {
	res := BenchResult{Name: sc.name, Role: sc.role, Floor: sc.floor}
	clients := run.clients[sc.role]
	if len(clients) == 0 {
		res.Skipped, res.Note = true, "no account of this role in the dataset"
		return res
	}
	status, err := run.do(sc, clients[0])
	switch {
	case status == http.StatusNotFound:
		res.Skipped, res.Note = true, "the route answers 404: the page is not built yet"
		return res
	case err != nil || status != http.StatusOK:
		res.Note = fmt.Sprintf("probe answered %d (%v)", status, err)
	}
	run.loop(ctx, sc, clients, min(time.Second, d/5), nil)
	m0, cpu0 := run.memstats(), run.cpu()
	profiled := make(chan struct{})
	if run.profileDir != "" {
		go func() {
			defer close(profiled)
			run.profile(sc.name, d)
		}()
	} else {
		close(profiled)
	}
	lat := make([][]time.Duration, len(clients))
	errs := make([]map[string]int, len(clients))
	elapsed := run.loop(ctx, sc, clients, d, func(i int, took time.Duration, status int, err error) {
		lat[i] = append(lat[i], took)
		if err != nil || status != http.StatusOK {
			if errs[i] == nil {
				errs[i] = map[string]int{}
			}
			key := strconv.Itoa(status)
			if err != nil && status == 0 {
				key = "transport"
			} else if err != nil {
				key += " (" + truncate(err.Error(), 60) + ")"
			}
			errs[i][key]++
		}
	})
	m1, cpu1 := run.memstats(), run.cpu()
	<-profiled
	var all []time.Duration
	for i := range clients {
		all = append(all, lat[i]...)
		for k, n := range errs[i] {
			if res.ErrorsByStatus == nil {
				res.ErrorsByStatus = map[string]int{}
			}
			res.ErrorsByStatus[k] += n
			res.Errors += n
		}
	}
	slices.Sort(all)
	res.Requests = len(all)
	if len(all) > 0 {
		res.RPS = float64(len(all)) / elapsed.Seconds()
		res.P50, res.P95, res.P99 = ms(pct(all, 0.50)), ms(pct(all, 0.95)), ms(pct(all, 0.99))
		res.AllocsPerReq = float64(m1.Mallocs-m0.Mallocs) / float64(len(all))
		res.BytesPerReq = float64(m1.TotalAlloc-m0.TotalAlloc) / float64(len(all))
		res.StatementsPerReq = float64(m1.Statements-m0.Statements) / float64(len(all))
		res.RoundTripsPerReq = float64(m1.RoundTrips-m0.RoundTrips) / float64(len(all))
	}
	res.ServerCPU, res.PostgresCPU, res.ClientCPU = cpu1.server-cpu0.server, cpu1.postgres-cpu0.postgres, cpu1.client-cpu0.client
	res.RSSMB = float64(procStatusKB(run.serverPID, "VmRSS")) / 1024
	return res
}

// loop runs every client for d and returns the time it took.
func (run *benchRun) loop(ctx context.Context, sc benchScenario, clients []*benchClient, d time.Duration,
	record func(i int, took time.Duration, status int, err error)) time.Duration {
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				status, err := run.do(sc, c)
				if record != nil {
					record(i, time.Since(t0), status, err)
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// profile saves the server's CPU profile over the next d as DIR/NAME.pprof
// (read it with go tool pprof).
func (run *benchRun) profile(name string, d time.Duration) {
	resp, err := run.http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", run.debugBase, max(1, int(d.Seconds()))))
	if err != nil {
		return
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode == http.StatusOK {
		_ = os.WriteFile(filepath.Join(run.profileDir, name+".pprof"), b, 0o644)
	}
}

type memstats struct{ Mallocs, TotalAlloc, Statements, RoundTrips uint64 }

// memstats reads the server's allocation counters from /debug/vars.
func (run *benchRun) memstats() memstats {
	var v struct {
		Memstats   memstats `json:"memstats"`
		Statements uint64   `json:"pg_statements"`
		RoundTrips uint64   `json:"pg_round_trips"`
	}
	resp, err := run.http.Get(run.debugBase + "/debug/vars")
	if err != nil {
		return memstats{}
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&v)
	v.Memstats.Statements, v.Memstats.RoundTrips = v.Statements, v.RoundTrips
	return v.Memstats
}

type cpuTimes struct{ server, postgres, client float64 }

// cpu reads the CPU seconds used so far by the server, by PostgreSQL (the
// postmaster and its children, when it runs on this machine) and by this process.
func (run *benchRun) cpu() cpuTimes {
	t := cpuTimes{server: procCPU(run.serverPID)}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		t.client = float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	}
	if run.postmasterPID == 0 {
		return t
	}
	t.postgres = procCPU(run.postmasterPID)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err == nil && parentPID(pid) == run.postmasterPID {
			t.postgres += procCPU(pid)
		}
	}
	return t
}

// procStat returns the fields of /proc/PID/stat after the command's name.
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// procCPU is a process's user and system CPU time in seconds (clock ticks of 1/100 s).
func procCPU(pid int) float64 {
	f := procStat(pid)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100
}

func parentPID(pid int) int {
	f := procStat(pid)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	n, _ := strconv.Atoi(strings.TrimSpace(line))
	return n
}

// procStatusKB reads a kB field of /proc/PID/status (VmRSS, VmHWM).
func procStatusKB(pid int, field string) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

func machine() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return fmt.Sprintf("%s, %d cores, %s/%s", strings.TrimSpace(v), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
		}
	}
	return fmt.Sprintf("%d cores, %s/%s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}

// judge marks the targets missed on each scenario and says whether
// all are met: p95 and share of the signed-in floor per page, no error, peak
// RSS ≤ 200 MB.
func judge(r *BenchReport) bool {
	floor := 0.0
	for _, s := range r.Scenarios {
		if s.Name == "floor-signed-in" {
			floor = s.RPS
		}
	}
	ok := r.RSSPeakMB <= 200
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		if s.Skipped {
			continue
		}
		if floor > 0 {
			s.ShareOfFloor = s.RPS / floor
		}
		var sc benchScenario
		for _, b := range benchScenarios {
			if b.name == s.Name {
				sc = b
			}
		}
		if s.Errors > 0 {
			s.Targets = append(s.Targets, "errors")
		}
		if sc.targetP95 > 0 && s.P95 > ms(sc.targetP95) {
			s.Targets = append(s.Targets, fmt.Sprintf("p95 ≤ %s", sc.targetP95))
		}
		if sc.targetShare > 0 && s.ShareOfFloor < sc.targetShare {
			s.Targets = append(s.Targets, fmt.Sprintf("rps ≥ %.0f %% of the signed-in floor", sc.targetShare*100))
		}
		ok = ok && len(s.Targets) == 0
	}
	return ok
}

func writeBenchTable(w io.Writer, r *BenchReport) {
	fmt.Fprintf(w, "\n%d clients, %s per scenario, %s; dataset: %d régions, %d MLs, %d sites, %d people, %d pieces, %d answers.\n\n",
		r.Clients, time.Duration(r.DurationS*float64(time.Second)), r.Machine, r.Dataset["regions"], r.Dataset["structures"],
		r.Dataset["sites"], r.Dataset["users"], r.Dataset["preuves"], r.Dataset["cotations"])
	fmt.Fprintln(w, "| Scenario | Role | rps | p50 ms | p95 ms | p99 ms | errors | statements (round trips)/req | allocs/req | % signed-in floor | CPU server / PG | targets |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, s := range r.Scenarios {
		if s.Skipped {
			fmt.Fprintf(w, "| %s | %s | – | – | – | – | – | – | – | – | – | skipped: %s |\n", s.Name, s.Role, s.Note)
			continue
		}
		errs := strconv.Itoa(s.Errors)
		if s.Errors > 0 {
			var parts []string
			for k, n := range s.ErrorsByStatus {
				parts = append(parts, fmt.Sprintf("%s×%d", k, n))
			}
			slices.Sort(parts)
			errs += " (" + strings.Join(parts, ", ") + ")"
		}
		verdict := "—"
		if len(s.Targets) > 0 {
			verdict = "missed: " + strings.Join(s.Targets, ", ")
		} else if slices.ContainsFunc(benchScenarios, func(b benchScenario) bool { return b.name == s.Name && (b.targetP95 > 0 || b.targetShare > 0) }) {
			verdict = "met"
		}
		split := "–"
		if tot := s.ServerCPU + s.PostgresCPU; tot > 0 {
			split = fmt.Sprintf("%.0f / %.0f %%", 100*s.ServerCPU/tot, 100*s.PostgresCPU/tot)
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %.2f | %.2f | %.2f | %s | %.1f (%.1f) | %.0f | %.1f %% | %s | %s |\n",
			s.Name, s.Role, s.RPS, s.P50, s.P95, s.P99, errs, s.StatementsPerReq, s.RoundTripsPerReq, s.AllocsPerReq, 100*s.ShareOfFloor, split, verdict)
	}
	tot := r.ServerCPU + r.PostgresCPU + r.ClientCPU
	if tot == 0 {
		tot = 1
	}
	fmt.Fprintf(w, "\nServer RSS: %.0f MB idle, %.0f MB peak (target ≤ 200 MB). CPU over the run: server %.1f s (%.0f %%), PostgreSQL %.1f s (%.0f %%), load client %.1f s (%.0f %%).\n",
		r.RSSIdleMB, r.RSSPeakMB, r.ServerCPU, 100*r.ServerCPU/tot, r.PostgresCPU, 100*r.PostgresCPU/tot, r.ClientCPU, 100*r.ClientCPU/tot)
	verdict := "all targets met"
	if !r.TargetsMet {
		verdict = "some targets missed"
	}
	fmt.Fprintf(w, "Whole run: %.0f s; %s.\n", r.Elapsed, verdict)
}
