package media

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// promptFiles holds the recordings made by prompts/generate.sh: one folder
// per language tag with <name>.ulaw files, and common/ for what has no
// language (music on hold).
//
//go:embed prompts/*/*.ulaw
var promptFiles embed.FS

const (
	// DefaultLanguage is the set used for a language that has none.
	DefaultLanguage = "en-us"
	commonSet       = "common"
)

// Prompts is the set of recordings, by language and name. It is immutable
// once loaded and safe for concurrent use.
type Prompts struct {
	sets map[string]map[Name]Prompt
}

// LoadPrompts loads the embedded recordings (en-us, fr-fr, de-de, nl-nl) and
// prepares both G.711 laws. Load once at start-up and share.
func LoadPrompts() (*Prompts, error) {
	sub, err := fs.Sub(promptFiles, "prompts")
	if err != nil {
		return nil, err
	}
	return LoadPromptsFS(sub)
}

// LoadPromptsFS loads recordings laid out like the embedded ones
// (<language>/<name>.ulaw, headerless 8 kHz μ-law) from fsys, for an
// operator's own recordings. It must contain the default language.
func LoadPromptsFS(fsys fs.FS) (*Prompts, error) {
	files, err := fs.Glob(fsys, "*/*.ulaw")
	if err != nil {
		return nil, err
	}
	ps := &Prompts{sets: make(map[string]map[Name]Prompt)}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("media: prompt %s: %w", f, err)
		}
		lang := strings.ToLower(path.Dir(f))
		name := Name(strings.TrimSuffix(path.Base(f), ".ulaw"))
		if ps.sets[lang] == nil {
			ps.sets[lang] = make(map[Name]Prompt)
		}
		ps.sets[lang][name] = NewPrompt(lang, name, data)
	}
	if ps.sets[DefaultLanguage] == nil {
		return nil, fmt.Errorf("media: no %s prompts", DefaultLanguage)
	}
	return ps, nil
}

// Languages returns the language tags that have recordings, sorted.
func (ps *Prompts) Languages() []string {
	var langs []string
	for l := range ps.sets {
		if l != commonSet {
			langs = append(langs, l)
		}
	}
	slices.Sort(langs)
	return langs
}

// Get returns the prompt name in the trunk's language lang. The language
// matches a set exactly ("fr-FR", "fr_fr"), else by its primary subtag
// ("fr", "fr-BE" → fr-fr), else falls back to en-us; a name missing from the
// chosen set is taken from common/, then from en-us. ok is false when no set
// has the name.
func (ps *Prompts) Get(lang string, name Name) (p Prompt, ok bool) {
	for _, set := range []string{ps.match(lang), commonSet, DefaultLanguage} {
		if p, ok = ps.sets[set][name]; ok {
			return p, true
		}
	}
	return Prompt{}, false
}

// match resolves a language tag to the set that serves it.
func (ps *Prompts) match(lang string) string {
	lang = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(lang), "_", "-"))
	if _, ok := ps.sets[lang]; ok && lang != commonSet {
		return lang
	}
	primary, _, _ := strings.Cut(lang, "-")
	for _, l := range ps.Languages() {
		if p, _, _ := strings.Cut(l, "-"); p == primary && primary != "" {
			return l
		}
	}
	return DefaultLanguage
}
