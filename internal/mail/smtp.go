package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// Default SMTP ports: submission with STARTTLS, and implicit TLS.
const (
	defaultPort    = 587
	defaultTLSPort = 465
)

// smtpTimeout bounds each step of a delivery (connecting; greeting, STARTTLS and
// authentication; the message), so a server that stops answering cannot hold the
// worker for long: under a minute in all, well within the worker's lease.
const smtpTimeout = 15 * time.Second

// smtpSender delivers each message over a new connection to one SMTP server.
type smtpSender struct {
	host        string
	port        int
	implicitTLS bool // smtps://: TLS from the first byte; otherwise STARTTLS when offered
	user        string
	password    string
	from        *netmail.Address
	timeout     time.Duration
	tls         *tls.Config
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
}

// NewSMTPSender returns a Sender for the server at u:
//
//	smtp://user:password@host:port   STARTTLS when the server offers it (default port 587)
//	smtps://user:password@host:port  implicit TLS (default port 465)
//
// Without user information, no authentication is attempted. With it, the
// password is only sent over an encrypted connection (or to localhost), unless
// the server offers a challenge mechanism (SCRAM, CRAM-MD5). from is the From
// header, e.g. "Cadre <ne-pas-repondre@example.org>".
func NewSMTPSender(u *url.URL, from string) (Sender, error) {
	if u == nil {
		return nil, errors.New("smtp sender: no server URL")
	}
	s := &smtpSender{timeout: smtpTimeout}
	switch u.Scheme {
	case "smtp":
		s.port = defaultPort
	case "smtps":
		s.port, s.implicitTLS = defaultTLSPort, true
	default:
		return nil, fmt.Errorf("smtp sender: scheme %q: want smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, errors.New("smtp sender: the URL has no host (want smtp://user:password@host:port)")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("smtp sender: the URL may only hold user, password, host and port")
	}
	s.host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("smtp sender: port %q: want 1 to 65535", p)
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
		if s.user == "" {
			return nil, errors.New("smtp sender: the URL has a password but no user name")
		}
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("smtp sender: from address %q: %w", from, err)
	}
	s.from = addr
	s.tls = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	s.dial = (&net.Dialer{}).DialContext
	return s, nil
}

// Send delivers m over a new connection. Cancelling ctx aborts the delivery at
// once, whatever step it is at.
func (s *smtpSender) Send(ctx context.Context, m Message) error {
	msg, err := s.compose(m)
	if err != nil {
		return err
	}
	stop := func() bool { return false }
	defer func() { stop() }()
	// Our own dialer, so that the connection gets a deadline and is closed when ctx
	// is cancelled (go-mail only bounds the dial itself), and so that IPv6 literals
	// work (go-mail joins host and port without brackets).
	addr := net.JoinHostPort(s.host, strconv.Itoa(s.port))
	dial := func(dctx context.Context, network, _ string) (net.Conn, error) {
		conn, err := s.dial(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		if s.implicitTLS {
			tc := tls.Client(conn, s.tls)
			if err := tc.HandshakeContext(dctx); err != nil {
				conn.Close()
				return nil, err
			}
			conn = tc
		}
		if err := conn.SetDeadline(time.Now().Add(s.timeout)); err != nil {
			conn.Close()
			return nil, err
		}
		stop = context.AfterFunc(ctx, func() { conn.Close() })
		return conn, nil
	}
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSConfig(s.tls),
		gomail.WithDialContextFunc(dial),
		// Each delivery opens its own connection: NOOP before it is pointless.
		gomail.WithoutNoop(),
	}
	if s.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.user != "" {
		opts = append(opts, gomail.WithSMTPAuthCustom(&autoAuth{user: s.user, password: s.password, host: s.host}))
	}
	client, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if msg.IsDelivered() {
			// The server accepted the message and only RSET or QUIT failed: an
			// error would have it sent twice.
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("smtp %s: %w (%w)", addr, context.Cause(ctx), err)
		}
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	return nil
}

// compose builds the email: plain text in UTF-8 (quoted-printable), with a Date
// and a Message-ID in the sender's domain.
func (s *smtpSender) compose(m Message) (*gomail.Msg, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(messageID(s.from.Address))
	// Asks auto-responders (out of office…) not to answer (RFC 3834).
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	return msg, nil
}

// messageID returns a unique id whose right part is the domain of from, so it
// does not reveal the host name of the server that sent it.
func messageID(from string) string {
	domain := "cadre.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		domain = from[i+1:]
	}
	return rand.Text() + "@" + domain
}

// autoAuth picks the first mechanism the server offers, challenge-based ones
// first. go-mail's own discovery cannot be used with a custom dialer: it then
// believes an implicit-TLS connection is not encrypted and refuses PLAIN and LOGIN.
// PLAIN and LOGIN check by themselves that the connection is encrypted (or local).
type autoAuth struct {
	user, password, host string
	chosen               smtp.Auth
}

func (a *autoAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	candidates := []struct {
		name string
		auth func() smtp.Auth
	}{
		{"SCRAM-SHA-256", func() smtp.Auth { return smtp.ScramSHA256Auth(a.user, a.password) }},
		{"SCRAM-SHA-1", func() smtp.Auth { return smtp.ScramSHA1Auth(a.user, a.password) }},
		{"CRAM-MD5", func() smtp.Auth { return smtp.CRAMMD5Auth(a.user, a.password) }},
		{"PLAIN", func() smtp.Auth { return smtp.PlainAuth("", a.user, a.password, a.host, false) }},
		{"LOGIN", func() smtp.Auth { return smtp.LoginAuth(a.user, a.password, a.host, false) }},
	}
	for _, c := range candidates {
		for _, offered := range server.Auth {
			if strings.EqualFold(offered, c.name) {
				a.chosen = c.auth()
				return a.chosen.Start(server)
			}
		}
	}
	if len(server.Auth) == 0 {
		return "", nil, errors.New("the URL has a user but the server offers no authentication")
	}
	return "", nil, fmt.Errorf("no supported authentication mechanism among %s", strings.Join(server.Auth, " "))
}

func (a *autoAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	return a.chosen.Next(fromServer, more)
}
