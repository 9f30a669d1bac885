package mail

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/meetline/meetline/core"
)

// TestCatalogsComplete fails when a language lacks a message of the default
// catalog, or has one it does not: either would show up as English text,
// or as a typo nobody reads, in someone's mail.
func TestCatalogsComplete(t *testing.T) {
	if _, err := loadCatalogs(locales); err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(locales, "locales/*.json")
	if len(files) != len(core.Languages) {
		t.Errorf("%d catalogs for %d languages: %v", len(files), len(core.Languages), files)
	}
}

func TestCatalogMissingKeyFails(t *testing.T) {
	fsys := copyCatalogs(t)
	var fr map[string]string
	json.Unmarshal(fsys["locales/fr-fr.json"].Data, &fr)
	delete(fr, "recording_ready.subject")
	fr["recording_ready.subjet"] = "typo"
	fsys["locales/fr-fr.json"].Data, _ = json.Marshal(fr)
	_, err := loadCatalogs(fsys)
	if err == nil || !strings.Contains(err.Error(), "missing [recording_ready.subject]") ||
		!strings.Contains(err.Error(), "unknown [recording_ready.subjet]") {
		t.Fatalf("error = %v", err)
	}
}

func TestCatalogMissingLanguageFails(t *testing.T) {
	fsys := copyCatalogs(t)
	delete(fsys, "locales/nl-nl.json")
	if _, err := loadCatalogs(fsys); err == nil || !strings.Contains(err.Error(), "nl-nl") {
		t.Fatalf("error = %v", err)
	}
}

func TestCatalogEmptyTextFails(t *testing.T) {
	fsys := copyCatalogs(t)
	var de map[string]string
	json.Unmarshal(fsys["locales/de-de.json"].Data, &de)
	de["invitation.join"] = " "
	fsys["locales/de-de.json"].Data, _ = json.Marshal(de)
	if _, err := loadCatalogs(fsys); err == nil || !strings.Contains(err.Error(), "invitation.join is empty") {
		t.Fatalf("error = %v", err)
	}
}

func copyCatalogs(t *testing.T) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	files, _ := fs.Glob(locales, "locales/*.json")
	for _, f := range files {
		b, err := fs.ReadFile(locales, f)
		if err != nil {
			t.Fatal(err)
		}
		fsys[f] = &fstest.MapFile{Data: b}
	}
	return fsys
}
