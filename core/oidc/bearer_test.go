package oidc

import "testing"

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header string
		want   string
		ok     bool
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", true},
		{"bearer abc.def.ghi", "abc.def.ghi", true},
		{"BEARER abc", "abc", true},
		{"bEaReR abc", "abc", true},
		{"Bearer   abc", "abc", true}, // 1*SP
		{"Bearer a-b_c~d+e/f==", "a-b_c~d+e/f==", true},
		{"Bearer ", "", false},
		{"Bearer", "", false},
		{"Bearer  ", "", false},
		{"", "", false},
		{"abc.def.ghi", "", false},
		{"Basic YWxpY2U6c2VjcmV0", "", false},
		{"Bearerabc", "", false},
		{"Bearer\tabc", "", false},
		{" Bearer abc", "", false},
		{"Bearer abc def", "", false},
		{"Bearer abc ", "", false},
		{"Bearer ===", "", false},
		{"Bearer a=b", "", false},
		{"Bearer é", "", false},
		{"Bearer abc\n", "", false},
		{"Token abc", "", false},
	}
	for _, tt := range tests {
		got, ok := BearerToken(tt.header)
		if got != tt.want || ok != tt.ok {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}
