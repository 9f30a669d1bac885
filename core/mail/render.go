package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/meetline/meetline/core"
)

// Kinds of message, as stored in the outbox.
const (
	KindInvitation     = "invitation"
	KindRecordingReady = "recording_ready"
)

var kinds = []string{KindInvitation, KindRecordingReady}

// templates holds, per kind, <kind>.html and <kind>.txt, each defining
// "content" inside layout.html or layout.txt.
//
//go:embed templates
var templates embed.FS

// Brand is what the messages say about the service; the core reads it
// from its environment (MAIL_BRAND_NAME, MAIL_LOGO_URL, MAIL_BASE_URL).
type Brand struct {
	Name    string // in the header (when there is no logo), the footer and the From name
	LogoURL string // absolute URL of the header image; "" shows Name instead
	BaseURL string // the service's public address, linked from the footer
}

// Renderer turns message data into localized subjects and text and HTML
// bodies. It is safe for concurrent use.
type Renderer struct {
	brand  Brand
	bundle *i18n.Bundle
	html   map[string]*htmltemplate.Template
	text   map[string]*texttemplate.Template
	now    func() time.Time
}

// RendererOption configures a Renderer.
type RendererOption func(*Renderer)

// WithClock sets the clock that stamps calendar events (tests fix it).
func WithClock(now func() time.Time) RendererOption { return func(r *Renderer) { r.now = now } }

// NewRenderer parses the templates and loads the catalogs; it fails when a
// catalog lacks a message another has.
func NewRenderer(b Brand, opts ...RendererOption) (*Renderer, error) {
	if b.Name == "" {
		b.Name = "Meetline"
	}
	bundle, err := loadCatalogs(locales)
	if err != nil {
		return nil, err
	}
	r := &Renderer{brand: b, bundle: bundle, now: time.Now,
		html: map[string]*htmltemplate.Template{}, text: map[string]*texttemplate.Template{}}
	for _, o := range opts {
		o(r)
	}
	for _, k := range kinds {
		if r.html[k], err = htmltemplate.ParseFS(templates, "templates/layout.html", "templates/"+k+".html"); err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		if r.text[k], err = texttemplate.ParseFS(templates, "templates/layout.txt", "templates/"+k+".txt"); err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
	}
	return r, nil
}

// content is the data of one kind of message: Invitation, RecordingReady.
type content interface {
	kind() string
	subjectID() string
	// values returns what the templates and catalog texts show, formatted
	// in the recipient's language and time zone.
	values(f formatter) (map[string]any, error)
}

// view is the data of every template: the brand, the language, the
// message's values and T, which looks a text up in the catalog and fills
// in the values.
type view struct {
	Brand   Brand
	Lang    string
	Subject string
	V       map[string]any
	loc     localizer
}

// T returns the catalog text id in the view's language, with V filled in.
// Its result is a plain string, so html/template escapes it like any value.
func (v *view) T(id string) (string, error) { return v.loc.t(id, v.V) }

// Label is T(id) followed by a colon as the language writes it (French
// puts a no-break space before it), to introduce a link or a number.
func (v *view) Label(id string) (string, error) {
	s, err := v.T(id)
	if err != nil {
		return "", err
	}
	colon, err := v.T("punct.colon")
	return s + colon, err
}

// Render returns the subject and bodies of a message of kind, for a
// recipient speaking lang (one of core.Languages, else English) in the IANA
// time zone tz (else UTC). data is an Invitation or a RecordingReady.
func (r *Renderer) Render(kind, lang, tz string, data any) (subject, text, html string, err error) {
	v, err := r.view(kind, lang, tz, data)
	if err != nil {
		return "", "", "", err
	}
	var tb, hb bytes.Buffer
	if err := r.text[kind].Execute(&tb, v); err != nil {
		return "", "", "", fmt.Errorf("mail: %s text: %w", kind, err)
	}
	if err := r.html[kind].Execute(&hb, v); err != nil {
		return "", "", "", fmt.Errorf("mail: %s html: %w", kind, err)
	}
	return v.Subject, tb.String(), hb.String(), nil
}

func (r *Renderer) view(kind, lang, tz string, data any) (*view, error) {
	c, ok := data.(content)
	if !ok || c.kind() != kind {
		return nil, fmt.Errorf("mail: %T is not the data of a %q message", data, kind)
	}
	if !core.IsLanguage(lang) {
		lang = core.DefaultLanguage
	}
	loc := newLocalizer(r.bundle, lang)
	vals, err := c.values(formatter{loc: loc, tz: location(tz)})
	if err != nil {
		return nil, err
	}
	vals["Brand"] = r.brand.Name
	v := &view{Brand: r.brand, Lang: lang, V: vals, loc: loc}
	subject, err := v.T(c.subjectID())
	if err != nil {
		return nil, err
	}
	// A header is one line (RFC 5322 §2.2); names typed by users may hold breaks.
	v.Subject = strings.Join(strings.Fields(subject), " ")
	return v, nil
}

// message renders data into an outbox message to one recipient.
func (r *Renderer) message(to, lang, tz string, data content) (*core.Message, error) {
	subject, text, html, err := r.Render(data.kind(), lang, tz, data)
	if err != nil {
		return nil, err
	}
	return &core.Message{Kind: data.kind(), To: to, Subject: subject, Text: text, HTML: html}, nil
}
