package core_test

import (
	"encoding/json"
	"testing"

	"github.com/meetline/meetline/core"
)

func TestPhoneCallersFirst(t *testing.T) {
	for cfg, want := range map[string]bool{
		`{"phone_callers_first": true}`:                  true,
		`{"phone_callers_first": true, "other": [1, 2]}`: true,
		`{"phone_callers_first": false}`:                 false,
		`{"phone_callers_first": "true"}`:                false,
		`{"phone_callers_first": 1}`:                     false,
		`{}`:                                             false,
		``:                                               false,
		`[true]`:                                         false,
		`{not json`:                                      false,
	} {
		if got := core.PhoneCallersFirst(json.RawMessage(cfg)); got != want {
			t.Errorf("PhoneCallersFirst(%s) = %v, want %v", cfg, got, want)
		}
	}
}

func TestLanguageFor(t *testing.T) {
	for in, want := range map[string]string{
		"fr-FR": "fr-fr", "fr_FR": "fr-fr", "fr": "fr-fr", "FR-be": "fr-fr", "de-DE": "de-de", "en": "en-us",
		"nl-BE": "nl-nl", "es-ES": "", "": "", " ": "", "tlh": "",
	} {
		if got := core.LanguageFor(in); got != want {
			t.Errorf("LanguageFor(%q) = %q, want %q", in, got, want)
		}
	}
}
