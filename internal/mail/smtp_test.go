package mail

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewSMTPSenderURLs(t *testing.T) {
	t.Parallel()
	const from = "Cadre <ne-pas-repondre@cadre.example.org>"
	good := []struct {
		url         string
		host        string
		port        int
		implicitTLS bool
		user, pass  string
	}{
		{"smtp://mail.example.org", "mail.example.org", 587, false, "", ""},
		{"smtp://mail.example.org:25", "mail.example.org", 25, false, "", ""},
		{"smtps://mail.example.org", "mail.example.org", 465, true, "", ""},
		{"smtps://mail.example.org:2465/", "mail.example.org", 2465, true, "", ""},
		{"smtp://cadre:s%40cret%3A@mail.example.org:587", "mail.example.org", 587, false, "cadre", "s@cret:"},
		{"smtps://apikey@[2001:db8::1]", "2001:db8::1", 465, true, "apikey", ""},
	}
	for _, c := range good {
		t.Run(c.url, func(t *testing.T) {
			u, err := url.Parse(c.url)
			if err != nil {
				t.Fatal(err)
			}
			sender, err := NewSMTPSender(u, from)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			s := sender.(*smtpSender)
			if s.host != c.host || s.port != c.port || s.implicitTLS != c.implicitTLS || s.user != c.user || s.password != c.pass {
				t.Errorf("got host=%q port=%d tls=%v user=%q pass=%q", s.host, s.port, s.implicitTLS, s.user, s.password)
			}
		})
	}
	bad := []struct{ url, from string }{
		{"http://mail.example.org", from},
		{"smtp:mail.example.org", from},
		{"smtp://", from},
		{"smtp://:secret@mail.example.org", from},
		{"smtp://mail.example.org:0", from},
		{"smtp://mail.example.org:70000", from},
		{"smtp://mail.example.org/path", from},
		{"smtp://mail.example.org?tls=no", from},
		{"smtp://mail.example.org", ""},
		{"smtp://mail.example.org", "not an address"},
	}
	for _, c := range bad {
		t.Run("refuses "+c.url+" from "+c.from, func(t *testing.T) {
			u, err := url.Parse(c.url)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := NewSMTPSender(u, c.from); err == nil {
				t.Error("accepted")
			}
		})
	}
	if _, err := NewSMTPSender(nil, from); err == nil {
		t.Error("nil URL accepted")
	}
}

// received is what the test SMTP server got in one session.
type received struct {
	mailFrom, rcptTo string
	data             string
	authUser, pass   string
	tls              bool
}

// smtpServer is a tiny SMTP server on 127.0.0.1, speaking just enough of the
// protocol for one client at a time.
type smtpServer struct {
	Addr      string
	tlsConfig *tls.Config // with STARTTLS advertised, or implicit TLS
	implicit  bool
	auth      bool // advertise AUTH PLAIN
	silent    bool // accept connections and never answer
	hangUp    bool // close the connection once a message is accepted

	mu     sync.Mutex
	got    []received
	dialed []string // the addresses the sender meant to reach
	done   sync.WaitGroup
}

func startSMTPServer(t *testing.T, srv *smtpServer) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Addr = ln.Addr().String()
	if srv.implicit {
		ln = tls.NewListener(ln, srv.tlsConfig)
	}
	srv.done.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			srv.done.Go(func() { srv.session(t, conn) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		srv.done.Wait()
	})
	return srv
}

func (srv *smtpServer) dialedAddrs() []string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return append([]string(nil), srv.dialed...)
}

func (srv *smtpServer) received() []received {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return append([]received(nil), srv.got...)
}

func (srv *smtpServer) session(t *testing.T, conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if srv.silent {
		io.Copy(io.Discard, conn)
		return
	}
	r := bufio.NewReader(conn)
	reply := func(lines ...string) {
		for _, l := range lines {
			if _, err := io.WriteString(conn, l+"\r\n"); err != nil {
				return
			}
		}
	}
	readLine := func() (string, bool) {
		l, err := r.ReadString('\n')
		return strings.TrimRight(l, "\r\n"), err == nil
	}
	var cur received
	_, cur.tls = conn.(*tls.Conn)
	reply("220 test.local ESMTP ready")
	for {
		line, ok := readLine()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"test.local greets you"}
			if srv.tlsConfig != nil && !srv.implicit && !cur.tls {
				ext = append(ext, "STARTTLS")
			}
			if srv.auth {
				ext = append(ext, "AUTH PLAIN")
			}
			for i, e := range ext {
				if i < len(ext)-1 {
					reply("250-" + e)
				} else {
					reply("250 " + e)
				}
			}
		case "STARTTLS":
			reply("220 go ahead")
			tc := tls.Server(conn, srv.tlsConfig)
			if err := tc.Handshake(); err != nil {
				t.Errorf("test server: STARTTLS handshake: %v", err)
				return
			}
			conn, r, cur.tls = tc, bufio.NewReader(tc), true
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") {
				reply("504 unsupported mechanism")
				continue
			}
			if resp == "" {
				reply("334 ")
				if resp, ok = readLine(); !ok {
					return
				}
			}
			raw, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(raw), "\x00")
			if err != nil || len(parts) != 3 {
				reply("501 bad PLAIN response")
				continue
			}
			cur.authUser, cur.pass = parts[1], parts[2]
			reply("235 authenticated")
		case "MAIL":
			cur.mailFrom = arg
			reply("250 ok")
		case "RCPT":
			cur.rcptTo = arg
			reply("250 ok")
		case "DATA":
			reply("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, ok := readLine()
				if !ok {
					return
				}
				if l == "." {
					break
				}
				// Dot-unstuffing (RFC 5321, 4.5.2).
				b.WriteString(strings.TrimPrefix(l, ".") + "\n")
			}
			cur.data = b.String()
			srv.mu.Lock()
			srv.got = append(srv.got, cur)
			srv.mu.Unlock()
			reply("250 queued")
			if srv.hangUp {
				return
			}
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 command not implemented")
		}
	}
}

// testTLS returns a server config with a self-signed certificate for name, and a
// client config that trusts it.
func testTLS(t *testing.T, name string) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		DNSNames:              []string{name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	client = &tls.Config{ServerName: name, RootCAs: roots, MinVersion: tls.VersionTLS12}
	return server, client
}

// newTestSender returns the sender for rawURL; with a host other than 127.0.0.1,
// its connections go to srv anyway, as if DNS said so.
func newTestSender(t *testing.T, rawURL string, srv *smtpServer, clientTLS *tls.Config) *smtpSender {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	sender, err := NewSMTPSender(u, "Cadre – démarche qualité <ne-pas-repondre@cadre.example.org>")
	if err != nil {
		t.Fatal(err)
	}
	s := sender.(*smtpSender)
	if clientTLS != nil {
		s.tls = clientTLS
	}
	s.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		srv.mu.Lock()
		srv.dialed = append(srv.dialed, addr)
		srv.mu.Unlock()
		return (&net.Dialer{}).DialContext(ctx, network, srv.Addr)
	}
	return s
}

var accents = Message{
	To:      "directrice@ml-exemple.fr",
	Subject: "Invitation à la démarche qualité – Mission Locale d'Évry",
	Body:    "Bonjour Hélène,\n\nVous êtes invitée à rejoindre Cadre : ça commence ici.\n.Une ligne qui commence par un point.\n\nL'équipe qualité\n",
}

// checkReceived parses what the server got and compares it with m.
func checkReceived(t *testing.T, got received, m Message) {
	t.Helper()
	if got.mailFrom != "FROM:<ne-pas-repondre@cadre.example.org>" || got.rcptTo != "TO:<"+m.To+">" {
		t.Errorf("envelope: MAIL %q, RCPT %q", got.mailFrom, got.rcptTo)
	}
	msg, err := netmail.ReadMessage(strings.NewReader(got.data))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, got.data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("subject = %q (%v), want %q", subject, err, m.Subject)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Cadre – démarche qualité" || from[0].Address != "ne-pas-repondre@cadre.example.org" {
		t.Errorf("From = %v (%v)", from, err)
	}
	if to := msg.Header.Get("To"); to != "<"+m.To+">" && to != m.To {
		t.Errorf("To = %q", to)
	}
	if d, err := msg.Header.Date(); err != nil || time.Since(d).Abs() > time.Minute {
		t.Errorf("Date = %q (%v)", msg.Header.Get("Date"), err)
	}
	if id := msg.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@cadre.example.org>") {
		t.Errorf("Message-ID = %q, want <…@cadre.example.org>", id)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type = %q", msg.Header.Get("Content-Type"))
	}
	var body io.Reader = msg.Body
	switch cte := strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")); cte {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "", "7bit", "8bit":
	default:
		t.Fatalf("Content-Transfer-Encoding %q", cte)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	// The server gives lines ending in \n; a body may gain a final line break.
	if got := strings.ReplaceAll(string(text), "\r\n", "\n"); strings.TrimRight(got, "\n") != strings.TrimRight(m.Body, "\n") {
		t.Errorf("body = %q, want %q", got, m.Body)
	}
}

func TestSMTPSenderDeliversUTF8PlainText(t *testing.T) {
	t.Parallel()
	srv := startSMTPServer(t, &smtpServer{})
	s := newTestSender(t, "smtp://"+srv.Addr, srv, nil)
	if err := s.Send(t.Context(), accents); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	if got[0].authUser != "" || got[0].tls {
		t.Errorf("without user info and STARTTLS: auth user %q, tls %v; want neither", got[0].authUser, got[0].tls)
	}
	checkReceived(t, got[0], accents)
}

func TestSMTPSenderAuthenticatesOverTLS(t *testing.T) {
	t.Parallel()
	serverTLS, clientTLS := testTLS(t, "mail.test")
	cases := []struct {
		name string
		srv  *smtpServer
		url  string
		addr string
	}{
		{"STARTTLS", &smtpServer{tlsConfig: serverTLS, auth: true}, "smtp://cadre:s%C3%A9same@mail.test", "mail.test:587"},
		{"implicit TLS", &smtpServer{tlsConfig: serverTLS, implicit: true, auth: true}, "smtps://cadre:s%C3%A9same@mail.test", "mail.test:465"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := startSMTPServer(t, c.srv)
			s := newTestSender(t, c.url, srv, clientTLS)
			if err := s.Send(t.Context(), accents); err != nil {
				t.Fatal(err)
			}
			got := srv.received()
			if len(got) != 1 {
				t.Fatalf("server received %d messages, want 1", len(got))
			}
			if !got[0].tls || got[0].authUser != "cadre" || got[0].pass != "sésame" {
				t.Errorf("tls %v, user %q, password %q; want TLS, cadre, sésame", got[0].tls, got[0].authUser, got[0].pass)
			}
			checkReceived(t, got[0], accents)
			if d := srv.dialedAddrs(); len(d) != 1 || d[0] != c.addr {
				t.Errorf("dialed %v, want %s", d, c.addr)
			}
		})
	}
}

func TestSMTPSenderCountsAnAcceptedMessageAsSent(t *testing.T) {
	t.Parallel()
	// The server hangs up right after accepting: RSET and QUIT fail, and an error
	// would have the message sent again.
	srv := startSMTPServer(t, &smtpServer{hangUp: true})
	s := newTestSender(t, "smtp://"+srv.Addr, srv, nil)
	if err := s.Send(t.Context(), accents); err != nil {
		t.Errorf("err = %v, want nil: the message was accepted", err)
	}
	if got := srv.received(); len(got) != 1 {
		t.Errorf("server received %d messages, want 1", len(got))
	}
}

func TestSMTPSenderReachesIPv6Literals(t *testing.T) {
	t.Parallel()
	srv := startSMTPServer(t, &smtpServer{})
	s := newTestSender(t, "smtp://[2001:db8::25]:2525", srv, nil)
	if err := s.Send(t.Context(), accents); err != nil {
		t.Fatal(err)
	}
	if d := srv.dialedAddrs(); len(d) != 1 || d[0] != "[2001:db8::25]:2525" {
		t.Errorf("dialed %v, want [2001:db8::25]:2525", d)
	}
}

func TestSMTPSenderKeepsThePasswordOffClearConnections(t *testing.T) {
	t.Parallel()
	// No STARTTLS, only PLAIN, and a host that is not local: the password must not go.
	srv := startSMTPServer(t, &smtpServer{auth: true})
	s := newTestSender(t, "smtp://cadre:secret@mail.test:587", srv, nil)
	err := s.Send(t.Context(), accents)
	if err == nil {
		t.Fatal("sent")
	}
	if got := srv.received(); len(got) != 0 {
		t.Errorf("server received %d messages", len(got))
	}
	t.Log(err)
}

func TestSMTPSenderRefusesAServerWithAnUntrustedCertificate(t *testing.T) {
	t.Parallel()
	serverTLS, _ := testTLS(t, "mail.test")
	srv := startSMTPServer(t, &smtpServer{tlsConfig: serverTLS, implicit: true})
	s := newTestSender(t, "smtps://mail.test", srv, nil)
	if err := s.Send(t.Context(), accents); err == nil {
		t.Fatal("sent to a server whose certificate no root vouches for")
	}
}

func TestSMTPSenderStopsWhenCancelledOrTimedOut(t *testing.T) {
	srv := startSMTPServer(t, &smtpServer{silent: true})

	s := newTestSender(t, "smtp://"+srv.Addr, srv, nil)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := s.Send(ctx, accents)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send returned %s after the cancellation", d)
	}

	s.timeout = 200 * time.Millisecond
	start = time.Now()
	if err := s.Send(t.Context(), accents); err == nil {
		t.Error("a silent server accepted the message")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send gave up after %s, want about %s", d, s.timeout)
	}
}

func TestSMTPSenderRefusesInvalidMessages(t *testing.T) {
	t.Parallel()
	srv := startSMTPServer(t, &smtpServer{})
	s := newTestSender(t, "smtp://"+srv.Addr, srv, nil)
	for _, m := range []Message{
		{To: "", Subject: "Objet", Body: "x"},
		{To: "a@b.fr, c@d.fr", Subject: "Objet", Body: "x"},
		{To: "a@b.fr", Subject: " ", Body: "x"},
	} {
		if err := s.Send(t.Context(), m); err == nil {
			t.Errorf("%+v sent", m)
		}
	}
	if got := srv.received(); len(got) != 0 {
		t.Errorf("server received %d messages", len(got))
	}
}
