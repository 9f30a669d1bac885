package mail

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/meetline/meetline/core"
)

// Locales holds one message catalog per language, locales/<lang>.json: a
// flat JSON object of message id → text/template text. Templates are written
// once and look their words up here, so a translation is a catalog, never a
// copy of a template.
//
//go:embed locales/*.json
var locales embed.FS

// loadCatalogs checks that every language of core.Languages has a catalog
// with exactly the ids of the default one, and returns them in a bundle. A
// missing id would silently fall back to English; an extra one is a typo.
func loadCatalogs(fsys fs.FS) (*i18n.Bundle, error) {
	want, err := readCatalog(fsys, core.DefaultLanguage)
	if err != nil {
		return nil, err
	}
	bundle := i18n.NewBundle(language.AmericanEnglish)
	for _, lang := range core.Languages {
		cat, err := readCatalog(fsys, lang)
		if err != nil {
			return nil, err
		}
		if err := sameIDs(lang, cat, want); err != nil {
			return nil, err
		}
		tag := language.Make(lang)
		for id, text := range cat {
			if err := bundle.AddMessages(tag, &i18n.Message{ID: id, Other: text}); err != nil {
				return nil, fmt.Errorf("mail: catalog %s: %s: %w", lang, id, err)
			}
		}
	}
	return bundle, nil
}

func readCatalog(fsys fs.FS, lang string) (map[string]string, error) {
	name := path.Join("locales", lang+".json")
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("mail: catalog of %s: %w", lang, err)
	}
	var cat map[string]string
	if err := json.Unmarshal(b, &cat); err != nil {
		return nil, fmt.Errorf("mail: %s: %w", name, err)
	}
	for id, text := range cat {
		if strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("mail: %s: %s is empty", name, id)
		}
	}
	return cat, nil
}

func sameIDs(lang string, got, want map[string]string) error {
	var missing, extra []string
	for id := range want {
		if _, ok := got[id]; !ok {
			missing = append(missing, id)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			extra = append(extra, id)
		}
	}
	if len(missing)+len(extra) == 0 {
		return nil
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return fmt.Errorf("mail: catalog %s: missing %v, unknown %v (compared with %s: %d ids)",
		lang, missing, extra, core.DefaultLanguage, len(want))
}

// localizer speaks one language, falling back to the default one.
type localizer struct {
	l *i18n.Localizer
}

func newLocalizer(b *i18n.Bundle, lang string) localizer {
	return localizer{i18n.NewLocalizer(b, lang, core.DefaultLanguage)}
}

// t returns the text of id with vars filled in.
func (l localizer) t(id string, vars map[string]any) (string, error) {
	s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: vars})
	if err != nil {
		return "", fmt.Errorf("mail: message %q: %w", id, err)
	}
	return s, nil
}
