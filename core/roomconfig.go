package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
)

// roomConfiguration is the schema of a room's configuration: the keys the
// core and the console read. As in Meet, anything else is refused rather
// than stored, so a typo ("allow_self_umute") fails loudly instead of doing
// nothing.
type roomConfiguration struct {
	// CanPublishSources narrows what non-administrators publish (AllowedSources).
	CanPublishSources *[]string `json:"can_publish_sources"`
	// PhoneCallersFirst lets callers into an empty public room (PhoneCallersFirst).
	PhoneCallersFirst *bool `json:"phone_callers_first"`
	// AllowSelfUnmute lets someone a host muted unmute (SelfUnmuteAllowed).
	AllowSelfUnmute *bool `json:"allow_self_unmute"`
}

// ValidateRoomConfiguration checks a room's configuration against its
// schema: a JSON object of known keys with values of their type, sources
// among PublishSources.
func ValidateRoomConfiguration(raw json.RawMessage) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	var cfg roomConfiguration
	if err := d.Decode(&cfg); err != nil {
		return Invalid("configuration", "%s", configurationProblem(err))
	}
	if _, err := d.Token(); err != io.EOF {
		return Invalid("configuration", "is not valid JSON")
	}
	if cfg.CanPublishSources != nil {
		for _, s := range *cfg.CanPublishSources {
			if !slices.Contains(PublishSources, s) {
				return Invalid("configuration", "can_publish_sources: %q is not one of %s", s, strings.Join(PublishSources, ", "))
			}
		}
	}
	return nil
}

// configurationProblem says what is wrong in words a caller can act on.
func configurationProblem(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		switch {
		case typ.Field == "":
			return "must be an object"
		case strings.HasPrefix(typ.Field, "can_publish_sources"):
			return "can_publish_sources: must be a list of strings"
		}
		return typ.Field + ": must be true or false"
	}
	if k, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown key " + k + " (known: can_publish_sources, phone_callers_first, allow_self_unmute)"
	}
	return "is not valid JSON"
}
