package server

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/config"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/preuves"
)

// statusOf is the status renderError would give err.
func statusOf(err error) int {
	var he *httpError
	if errors.As(err, &he) {
		return he.status
	}
	return statusOfCode[domain.ErrorCode(err)]
}

// FuzzFormDecoding feeds any body, under any content type, to the two readers of
// request bodies: the url-encoded form of every route, and the streamed multipart
// form of uploads; then to the decoding of the forms that save ratings
// (autoeval.ParseAnswer) and evidence (preuveFormOf). None may panic or fail as
// the server's fault (5xx), and what they accept is clean text within the
// limits. FuzzWritingForms posts such forms to the running server.
func FuzzFormDecoding(f *testing.F) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.SetBoundary("limite")
	mw.WriteField("titre", "Procédure")
	part, _ := mw.CreateFormFile("file", "a.pdf")
	part.Write([]byte("%PDF-1.4\n"))
	mw.Close()
	multipartType := mw.FormDataContentType()
	f.Add("application/x-www-form-urlencoded", []byte("email=a%40b.fr&version-F1=3"))
	f.Add("application/x-www-form-urlencoded", []byte("a=%00&b=%ff"))
	f.Add("application/x-www-form-urlencoded", []byte("version-F1.R1.C1=99999999999&valeur-F1.R1.C1=nc&version-F1.R1.C2=1&valeur-F1.R1.C2=-3"))
	f.Add("application/x-www-form-urlencoded; charset=utf-8", []byte("a=%zz"))
	f.Add(multipartType, buf.Bytes())
	f.Add(multipartType, buf.Bytes()[:buf.Len()/2])
	f.Add(multipartType, []byte("--limite\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ\r\n--limite--\r\n"))
	f.Add(multipartType, []byte("--limite\r\nContent-Disposition: form-data; name=\"t\x00\"\r\n\r\nx\r\n--limite--\r\n"))
	f.Add("multipart/form-data", []byte("--x\r\n"))
	f.Add("text/plain", []byte("x"))
	f.Add("", []byte{})

	cfg, _ := config.Load(func(string) string { return "" })
	cfg.MaxUpload = 64 << 10
	s := &Server{cfg: cfg}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if err := readForm(httptest.NewRecorder(), req); err != nil {
			if st := statusOf(err); st < 400 || st >= 500 {
				t.Fatalf("readForm(%q) = %v (status %d)", contentType, err, st)
			}
		} else if !cleanValues(req.PostForm) {
			t.Fatalf("readForm(%q) let through %q", contentType, req.PostForm)
		} else {
			decodeRatings(t, req.PostForm)
		}

		req = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Body = http.MaxBytesReader(httptest.NewRecorder(), req.Body, s.cfg.MaxUpload+maxFormBytes)
		form, err := s.readUpload(req)
		if err == nil && form.file != nil {
			// What the store does with the file: read it to its end.
			_, err = io.Copy(io.Discard, form.file.Content)
			err = s.uploadErr(err)
		}
		if err != nil {
			var tooLarge *preuves.TooLargeError
			if st := statusOf(err); (st < 400 || st >= 500) && !errors.As(err, &tooLarge) {
				t.Fatalf("readUpload(%q) = %v (status %d)", contentType, err, st)
			}
			return
		}
		if !cleanValues(url.Values(form.fields)) {
			t.Fatalf("readUpload(%q) let through %q", contentType, form.fields)
		}
		// The evidence form's decoding: any field it cannot read is a field
		// error, never a panic, and what it reads is normalized.
		f := preuveFormOf(form.fields)
		p := f.preuve(1)
		if f.err() == nil && (p.StructureID != 1 || p.Nature != domain.NatureLien && p.URL != "") {
			t.Fatalf("preuveFormOf(%q).preuve(1) = %+v", form.fields, p)
		}
	})
}

// decodeRatings decodes the answers of a posted rating page as saveSection and
// saveItem do: every refusal is EINVALID (a 400 with a French message).
func decodeRatings(t *testing.T, form url.Values) {
	t.Helper()
	for key := range form {
		code, ok := strings.CutPrefix(key, "version-")
		if !ok {
			continue
		}
		if _, _, err := autoeval.ParseAnswer(form, code); err != nil && domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("ParseAnswer(%q, %q) = %v", form, code, err)
		}
	}
}
