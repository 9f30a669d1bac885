package core_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/meetline/meetline/core"
)

func TestValidateRoomConfiguration(t *testing.T) {
	for _, tc := range []struct {
		in, problem string // problem: part of the message, "" for valid
	}{
		{`{}`, ""},
		{`{"can_publish_sources":["microphone","camera"],"phone_callers_first":true,"allow_self_unmute":false}`, ""},
		{`{"can_publish_sources":[]}`, ""},
		{`{"allow_self_umute":false}`, `unknown key "allow_self_umute"`},
		{`{"phone_callers_first":"yes"}`, "phone_callers_first: must be true or false"},
		{`{"can_publish_sources":"microphone"}`, "can_publish_sources: must be a list"},
		{`{"can_publish_sources":[1]}`, "can_publish_sources: must be a list"},
		{`{"can_publish_sources":["telepathy"]}`, `"telepathy" is not one of`},
		{`[1]`, "must be an object"},
		{`{`, "not valid JSON"},
	} {
		err := core.ValidateRoomConfiguration(json.RawMessage(tc.in))
		if tc.problem == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.in, err)
			}
			continue
		}
		if core.Code(err) != core.EINVALID || !strings.Contains(err.Error(), tc.problem) {
			t.Errorf("%s: %v, want InvalidArgument saying %q", tc.in, err, tc.problem)
		}
	}
}

func FuzzValidateRoomConfiguration(f *testing.F) {
	f.Add(`{"can_publish_sources":["camera"],"phone_callers_first":true}`)
	f.Add(`{"x":1}`)
	f.Fuzz(func(t *testing.T, in string) {
		err := core.ValidateRoomConfiguration(json.RawMessage(in))
		if err != nil && core.Code(err) != core.EINVALID {
			t.Fatalf("%q: %v is not InvalidArgument", in, err)
		}
		if err == nil && !json.Valid([]byte(in)) {
			t.Fatalf("%q passed, but is not JSON", in)
		}
	})
}

func TestValidCallbackID(t *testing.T) {
	for id, want := range map[string]bool{
		"0123456789abcdefghijkl":   true,
		"A-b_C-d_0123456789xyzXYZ": true,
		"0123456789abcdefghijk":    false, // 21
		"0123456789 abcdefghijkl":  false,
		"0123456789abcdefghijkl/":  false,
		"":                         false,
	} {
		if got := core.ValidCallbackID(id); got != want {
			t.Errorf("ValidCallbackID(%q) = %v", id, got)
		}
	}
}
