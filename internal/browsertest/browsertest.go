// Package browsertest drives Debian's Chromium with chromedp for end-to-end tests
// and checks the pages it lands on with axe-core: a test fails on any
// accessibility violation, on a script exception or on a Content-Security-Policy
// violation. axe-core runs on the first page of each kind that the test binary
// lands on (see pageKind); CheckAccessibility checks the current page whatever
// its kind.
//
// axe-core comes from npm (package.json and package-lock.json beside this file;
// `make test` runs npm ci here). Browser tests skip on a developer machine without
// Chromium, never when CI=true.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package installs the browser.
const ChromiumPath = "/usr/bin/chromium"

// Browser is one headless Chromium tab bound to a test.
type Browser struct {
	t       testing.TB
	ctx     context.Context
	baseURL string
	axe     string

	mu       sync.Mutex
	problems []string
}

// New opens a tab for the test in the binary's Chromium (started on first use),
// in a browser context of its own; the tab is closed when the test ends. baseURL is prefixed to the paths given to Visit.
func New(t testing.TB, baseURL string) *Browser {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browsertest: %s is missing; CI must install it (apt-get install chromium)", ChromiumPath)
		}
		t.Skipf("browsertest: %s is missing (apt-get install chromium); skipping the browser test", ChromiumPath)
	}
	axe, err := os.ReadFile(axePath())
	if err != nil {
		t.Fatalf("browsertest: axe-core not found (%v): run `make test`, or `npm ci` in internal/browsertest", err)
	}
	holdTab(t)
	bctx, err := sharedBrowser()
	if err != nil {
		t.Fatalf("browsertest: start chromium: %v", err)
	}
	tab, dispose, err := newTab(bctx)
	if err != nil {
		t.Fatalf("browsertest: open a tab: %v", err)
	}
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithTargetID(tab))
	// 150 s: a long journey (every new page kind gets axe and the 390 px layout)
	// must survive a loaded 2-core machine.
	ctx, tcancel := context.WithTimeout(ctx, 150*time.Second)
	t.Cleanup(func() { tcancel(); cancel(); dispose() })

	b := &Browser{t: t, ctx: ctx, baseURL: strings.TrimRight(baseURL, "/"), axe: string(axe)}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *cdpruntime.EventExceptionThrown:
			b.report("script exception: " + ev.ExceptionDetails.Error())
		case *cdplog.EventEntryAdded:
			if strings.Contains(ev.Entry.Text, "Content Security Policy") {
				b.report("CSP violation: " + ev.Entry.Text)
			}
		}
	})
	if err := chromedp.Run(ctx, cdplog.Enable()); err != nil {
		t.Fatalf("browsertest: start chromium: %v", err)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.problems {
			t.Error("browsertest: " + p)
		}
	})
	return b
}

// tabs lets one test at a time drive the binary's Chromium: the tests' other
// work (databases, requests) runs beside it, but on this project's 2-core
// machine the browser journeys ran slower side by side than one after the
// other (2 min 41 s one at a time, 2 min 50 s two at a time, 3 min 33 s
// eight at a time, with 1.7 times Chromium's CPU), and a loaded one missed
// its deadline.
var tabs = struct {
	sync.Mutex
	slot   chan struct{}
	byTest map[string]int // the tabs open per top-level test
}{slot: make(chan struct{}, 1), byTest: map[string]int{}}

// holdTab waits, unless the test's top-level test already holds the
// browser, until no other test does, and lets it go when the test's last tab
// is closed. The tabs of one test (several users) and of its subtests share
// the hold, so a test never waits for itself.
func holdTab(t testing.TB) {
	t.Helper()
	root, _, _ := strings.Cut(t.Name(), "/")
	tabs.Lock()
	n := tabs.byTest[root]
	tabs.byTest[root] = n + 1
	tabs.Unlock()
	if n == 0 {
		tabs.slot <- struct{}{}
	}
	t.Cleanup(func() {
		tabs.Lock()
		defer tabs.Unlock()
		if tabs.byTest[root]--; tabs.byTest[root] == 0 {
			delete(tabs.byTest, root)
			<-tabs.slot
		}
	})
}

// browser is the Chromium process that every test of the binary opens its tabs
// in: starting one per test costs about a second of CPU each, and their tabs
// already run in separate browser contexts. It exits with the test binary
// (chromedp starts it with a parent-death signal).
var browser struct {
	once sync.Once
	ctx  context.Context
	err  error
	// stop would close the browser; it is kept, never called: the browser
	// lives as long as the binary.
	stop []context.CancelFunc
}

// sharedBrowser starts the binary's Chromium on first use and returns its
// context, from which each test opens a tab.
func sharedBrowser() (context.Context, error) {
	browser.once.Do(func() {
		// Not t.TempDir: the profile outlives any one test. Chromium removes
		// nothing itself, so the directory is named after this process and the
		// next binary to start removes the profiles of processes that are gone.
		removeStaleProfiles()
		profile, err := os.MkdirTemp("", fmt.Sprintf("browsertest-%d-", os.Getpid()))
		if err != nil {
			browser.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(ChromiumPath),
			chromedp.DisableGPU,
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-quic", true),
			chromedp.UserDataDir(profile),
			chromedp.WindowSize(1280, 900),
		)
		actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(actx)
		browser.stop = []context.CancelFunc{cancel, acancel}
		// The first Run starts the browser (and its first, unused, tab).
		browser.ctx, browser.err = ctx, chromedp.Run(ctx)
	})
	return browser.ctx, browser.err
}

// newTab opens a window in a browser context of its own, so that cookies,
// storage and cache are not shared with the tests running beside it in the same
// Chromium, and returns its target and the function that closes both.
// (chromedp.WithNewBrowserContext opens its tab without a window, which headless
// Chromium refuses with "no browser is open".)
func newTab(bctx context.Context) (target.ID, func(), error) {
	var id target.ID
	var bc cdp.BrowserContextID
	browserDo := func(fn func(ctx context.Context) error) error {
		return chromedp.Run(bctx, chromedp.ActionFunc(func(ctx context.Context) error {
			return fn(cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser))
		}))
	}
	err := browserDo(func(ctx context.Context) error {
		var err error
		if bc, err = target.CreateBrowserContext().Do(ctx); err != nil {
			return err
		}
		id, err = target.CreateTarget("about:blank").WithBrowserContextID(bc).WithNewWindow(true).Do(ctx)
		return err
	})
	dispose := func() {
		_ = browserDo(func(ctx context.Context) error { return target.DisposeBrowserContext(bc).Do(ctx) })
	}
	return id, dispose, err
}

// removeStaleProfiles removes the Chromium profiles left in the temporary
// directory by test binaries that have exited.
func removeStaleProfiles() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "browsertest-*-*"))
	for _, dir := range dirs {
		pid, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(dir), "browsertest-"), "-")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", n)); os.IsNotExist(err) {
			os.RemoveAll(dir)
		}
	}
}

func (b *Browser) report(p string) {
	b.mu.Lock()
	b.problems = append(b.problems, p)
	b.mu.Unlock()
}

// axePath finds axe.min.js: $AXE_JS, or node_modules beside this source file.
func axePath() string {
	if p := os.Getenv("AXE_JS"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "node_modules", "axe-core", "axe.min.js")
}

// Context is the tab's context, for chromedp actions a test runs itself.
func (b *Browser) Context() context.Context { return b.ctx }

// Visit loads path and checks the page's accessibility if no page of its kind
// was checked before.
func (b *Browser) Visit(path string) {
	b.t.Helper()
	b.Run(chromedp.Navigate(b.baseURL+path), chromedp.WaitReady("body", chromedp.ByQuery))
	b.checkNewKind()
}

// Run runs chromedp actions and fails the test on error.
func (b *Browser) Run(actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatalf("browsertest: %v", err)
	}
}

// ClickAndWait clicks the element matched by the CSS selector sel, waits for the
// next page to load, and checks its accessibility if no page of its kind was
// checked before.
func (b *Browser) ClickAndWait(sel string) {
	b.t.Helper()
	b.Eval(`window.__browsertestOldPage = true`, nil)
	b.Run(chromedp.Click(sel, chromedp.ByQuery, chromedp.NodeVisible))
	b.waitForNewPage()
}

// waitForNewPage waits until the page marked by __browsertestOldPage is replaced by
// a fully loaded one. Evaluations fail while the navigation is under way; those
// failures are expected and retried.
func (b *Browser) waitForNewPage() {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var done bool
		err := b.eval(`window.__browsertestOldPage === undefined && document.readyState === "complete"`, &done)
		if err == nil && done {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browsertest: no new page loaded within 20 s (last error: %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Run(chromedp.WaitReady("body", chromedp.ByQuery))
	b.checkNewKind()
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise) and
// stores its JSON value in res, which may be nil.
func (b *Browser) Eval(expr string, res any) {
	b.t.Helper()
	if err := b.eval(expr, res); err != nil {
		b.t.Fatalf("browsertest: %v", err)
	}
}

// eval targets the page's current default context, unlike chromedp.Evaluate, so
// it also works across navigations, including in-page ones (a link to #anchor).
func (b *Browser) eval(expr string, res any) error {
	return chromedp.Run(b.ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		v, exc, err := cdpruntime.Evaluate(expr).WithReturnByValue(true).WithAwaitPromise(true).Do(ctx)
		if err != nil {
			return err
		}
		if exc != nil {
			return fmt.Errorf("evaluate %.60q: %s", expr, exc.Error())
		}
		if res == nil || v == nil || len(v.Value) == 0 {
			return nil
		}
		return json.Unmarshal(v.Value, res)
	}))
}

// Login signs in through the login page (checking its accessibility on the way,
// as Visit does) and lands on the page it leads to.
func (b *Browser) Login(email, password string) {
	b.t.Helper()
	b.Visit("/connexion")
	b.Run(chromedp.SendKeys("#email", email, chromedp.ByQuery), chromedp.SendKeys("#password", password, chromedp.ByQuery))
	b.ClickAndWait(`main form button[type="submit"]`)
}

// Text returns the visible text of the first element matched by the CSS selector.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	var s string
	b.Run(chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.NodeReady))
	return strings.TrimSpace(s)
}

// Location returns the current URL's path and query.
func (b *Browser) Location() string {
	b.t.Helper()
	var loc string
	b.Eval(`location.pathname + location.search`, &loc)
	return loc
}

// axeResult is the part of axe.run's result the tests report.
type axeResult struct {
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any  `json:"target"`
			HTML   string `json:"html"`
		} `json:"nodes"`
	} `json:"violations"`
}

// checked holds the kinds of page that axe-core has checked in this test binary.
var checked = struct {
	sync.Mutex
	kinds map[string]bool
}{kinds: map[string]bool{}}

// pageKind names what makes pages alike for the accessibility check: the path
// with its numeric segments replaced (/preuves/12 → /preuves/{n}), the HTTP status
// (so an error page is not taken for the page it replaces), whether the page
// shows an error summary (a form with errors), and where the forms of its main
// content post to (so that one address showing another page, such as a first
// upload's warning or a read-only form, is another kind).
func pageKind(path string, status int, errorSummary bool, forms []string) string {
	kind := genericPath(path) + " " + strconv.Itoa(status)
	if errorSummary {
		kind += " with errors"
	}
	actions := map[string]bool{}
	for _, f := range forms {
		f, _, _ = strings.Cut(f, "?")
		if f == "" {
			f = path // a form without action posts to its page
		}
		actions[genericPath(f)] = true
	}
	if len(actions) > 0 {
		kind += " posting to " + strings.Join(slices.Sorted(maps.Keys(actions)), " ")
	}
	return kind
}

// genericPath replaces the numeric segments of a path with {n}.
func genericPath(path string) string {
	segments := strings.Split(path, "/")
	for i, s := range segments {
		if _, err := strconv.ParseUint(s, 10, 64); err == nil {
			segments[i] = "{n}"
		}
	}
	return strings.Join(segments, "/")
}

// checkNewKind checks the current page's accessibility unless a page of its kind
// was checked before in this test binary.
func (b *Browser) checkNewKind() {
	b.t.Helper()
	var page struct {
		Path         string
		Status       int
		ErrorSummary bool
		Forms        []string
	}
	b.Eval(`({Path: location.pathname, Status: performance.getEntriesByType("navigation")[0]?.responseStatus ?? 0,
		ErrorSummary: document.querySelector(".error-summary") !== null,
		Forms: [...document.querySelectorAll("main form")].map(f => f.getAttribute("action") ?? "")})`, &page)
	kind := pageKind(page.Path, page.Status, page.ErrorSummary, page.Forms)
	checked.Lock()
	seen := checked.kinds[kind]
	checked.kinds[kind] = true
	checked.Unlock()
	if !seen {
		b.CheckAccessibility()
		b.CheckPhoneWidth()
	}
}

// PhoneWidth is the viewport width, in CSS pixels, at which every page kind must
// fit without horizontal scrolling (a common phone).
const PhoneWidth = 390

// CheckPhoneWidth lays the current page out in a PhoneWidth-wide viewport and
// fails the test when the page is wider (it scrolls horizontally), naming the
// elements that stick out. The window's own size is restored afterwards.
func (b *Browser) CheckPhoneWidth() {
	b.t.Helper()
	width, wide := b.WidthAt(PhoneWidth)
	if width > PhoneWidth {
		b.t.Errorf("browsertest: %s is %d px wide at %d px (it scrolls sideways); too wide: %v", b.Location(), width, PhoneWidth, wide)
	}
}

// WidthAt lays the current page out in a viewport w pixels wide and returns the
// document's scroll width and the outermost elements that end beyond w, then
// restores the window's own viewport.
func (b *Browser) WidthAt(w int64) (int, []string) {
	b.t.Helper()
	var res struct {
		Width int
		Wide  []string
	}
	b.AtWidth(w, func() {
		b.Eval(`(() => {
		const w = document.documentElement.clientWidth;
		const out = [...document.body.querySelectorAll("*")].filter(e => {
			const r = e.getBoundingClientRect();
			return r.right > w + 1 && !(e.parentElement && e.parentElement.getBoundingClientRect().right > w + 1);
		}).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : ""));
		return {Width: document.documentElement.scrollWidth, Wide: out};
	})()`, &res)
	})
	return res.Width, res.Wide
}

// AtWidth runs fn with the page laid out in a viewport w pixels wide (844 high),
// then restores the window's own viewport. It does not emulate a mobile device:
// the layout viewport is then exactly w wide, as on a phone honouring
// width=device-width or in a narrow desktop window.
func (b *Browser) AtWidth(w int64, fn func()) {
	b.t.Helper()
	var own int64
	b.Eval(`window.innerWidth`, &own)
	b.Run(emulation.SetDeviceMetricsOverride(w, 844, 1, false))
	b.waitForWidth(w)
	defer func() {
		b.Run(emulation.ClearDeviceMetricsOverride())
		b.waitForWidth(own)
	}()
	fn()
}

// waitForWidth waits until the page is laid out w pixels wide: the viewport
// changes after the protocol's answer, not with it.
func (b *Browser) waitForWidth(w int64) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var width int64
		b.Eval(`window.innerWidth`, &width)
		if width == w {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browsertest: the viewport is %d px wide, not %d, 10 s after resizing", width, w)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CheckAccessibility runs axe-core on the current page, whatever its kind, and
// fails the test on any violation, whatever its impact.
func (b *Browser) CheckAccessibility() {
	b.t.Helper()
	var loaded bool
	b.Eval(`typeof window.axe !== "undefined"`, &loaded)
	if !loaded {
		b.Eval(b.axe+";true", nil)
	}
	var raw json.RawMessage
	b.Eval(`axe.run(document, {resultTypes: ["violations"]})`, &raw)
	var res axeResult
	if err := json.Unmarshal(raw, &res); err != nil {
		b.t.Fatalf("browsertest: read axe result: %v", err)
	}
	if len(res.Violations) == 0 {
		return
	}
	var sb strings.Builder
	for _, v := range res.Violations {
		fmt.Fprintf(&sb, "\n- %s (%s): %s", v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			fmt.Fprintf(&sb, "\n    %v %s", n.Target, n.HTML)
		}
	}
	b.t.Errorf("browsertest: %d accessibility violation(s) on %s:%s", len(res.Violations), b.Location(), sb.String())
}
