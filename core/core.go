// Package core is meetline's domain: the types, rules and service interfaces of
// the telephony and control plane. It imports no database, cache, storage or
// LiveKit package; the adapters in its subpackages implement its interfaces and
// the mains wire them together (the layout of Ben Johnson's WTF Dial).
package core

// Languages the service speaks, as lower-case BCP 47 tags. The first is the default.
var Languages = []string{"en-us", "fr-fr", "nl-nl", "de-de"}

// DefaultLanguage is used where nothing else says which language to speak.
const DefaultLanguage = "en-us"

// IsLanguage reports whether lang is one of Languages.
func IsLanguage(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}
