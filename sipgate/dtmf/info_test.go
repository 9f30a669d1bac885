package dtmf

import (
	"errors"
	"testing"
)

func TestParseInfo(t *testing.T) {
	const relay, plain = TypeDTMFRelay, TypeDTMF
	tests := []struct {
		name    string
		ct      string
		body    string
		want    byte
		wantErr error
	}{
		{"relay CRLF", relay, "Signal=5\r\nDuration=160\r\n", '5', nil},
		{"relay LF only", relay, "Signal=9\nDuration=250\n", '9', nil},
		{"relay no trailing newline", relay, "Signal=0\r\nDuration=100", '0', nil},
		{"relay spaces", relay, "Signal = 3 \r\n Duration = 160\r\n", '3', nil},
		{"relay key case", relay, "SIGNAL=4\r\nduration=160\r\n", '4', nil},
		{"relay Duration first", relay, "Duration=160\r\nSignal=6\r\n", '6', nil},
		{"relay star", relay, "Signal=*\r\nDuration=160\r\n", '*', nil},
		{"relay pound", relay, "Signal=#\r\nDuration=160\r\n", '#', nil},
		{"relay Signal=10 is star", relay, "Signal=10\r\nDuration=160\r\n", '*', nil},
		{"relay Signal=11 is pound", relay, "Signal=11\r\nDuration=160\r\n", '#', nil},
		{"relay Signal=12 is A", relay, "Signal=12\r\n", 'A', nil},
		{"relay letter lower case", relay, "Signal=d\r\n", 'D', nil},
		{"relay first Signal counts", relay, "Signal=1\r\nSignal=2\r\n", '1', nil},
		{"relay leading blank line", relay, "\r\nSignal=7\r\n", '7', nil},
		{"type case and parameters", "Application/DTMF-Relay; charset=UTF-8", "Signal=8\r\n", '8', nil},
		{"type spaces", " application/dtmf-relay ;x=y", "Signal=8\r\n", '8', nil},
		{"relay flash 16", relay, "Signal=16\r\nDuration=200\r\n", 0, ErrNoDigit},
		{"relay flash !", relay, "Signal=!\r\n", 0, ErrNoDigit},
		{"relay no Signal", relay, "Duration=160\r\n", 0, ErrMalformed},
		{"relay empty body", relay, "", 0, ErrMalformed},
		{"relay empty Signal", relay, "Signal=\r\n", 0, ErrMalformed},
		{"relay two keys", relay, "Signal=12#\r\n", 0, ErrMalformed},
		{"relay code 17", relay, "Signal=17\r\n", 0, ErrMalformed},
		{"relay code 999", relay, "Signal=999\r\n", 0, ErrMalformed},
		{"relay garbage key", relay, "Signal=x\r\n", 0, ErrMalformed},
		{"dtmf bare", plain, "5", '5', nil},
		{"dtmf CRLF", plain, "#\r\n", '#', nil},
		{"dtmf star", plain, "*", '*', nil},
		{"dtmf 11", plain, "11\r\n", '#', nil},
		{"dtmf with parameters", "application/dtmf;charset=us-ascii", "2", '2', nil},
		{"dtmf relay-style body", plain, "Signal=3\r\nDuration=160\r\n", '3', nil},
		{"dtmf empty", plain, "", 0, ErrMalformed},
		{"dtmf 12 is the event code of A, not two keys", plain, "12", 'A', nil},
		{"dtmf two keys", plain, "1#", 0, ErrMalformed},
		{"dtmf word", plain, "five", 0, ErrMalformed},
		{"other type", "application/media_control+xml", "<media_control/>", 0, ErrUnsupportedType},
		{"sdp", "application/sdp", "v=0\r\n", 0, ErrUnsupportedType},
		{"no type, body", "", "Signal=5\r\n", 0, ErrUnsupportedType},
		{"no type, no body: keep-alive", "", "", 0, ErrNoDigit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseInfo(tt.ct, []byte(tt.body))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStatusCode(t *testing.T) {
	_, unsupported := ParseInfo("text/plain", []byte("5"))
	_, malformed := ParseInfo(TypeDTMF, []byte("?"))
	_, flash := ParseInfo(TypeDTMFRelay, []byte("Signal=16"))
	var s InfoSequencer
	_ = s.Accept(5)
	dup, late := s.Accept(5), s.Accept(4)
	tests := []struct {
		err  error
		want int
	}{{nil, 200}, {flash, 200}, {dup, 200}, {unsupported, 415}, {late, 500}, {malformed, 400}, {errors.New("x"), 400}}
	for _, tt := range tests {
		if got := StatusCode(tt.err); got != tt.want {
			t.Errorf("StatusCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func BenchmarkParseInfo(b *testing.B) {
	body := []byte("Signal=5\r\nDuration=160\r\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseInfo("application/dtmf-relay", body); err != nil {
			b.Fatal(err)
		}
	}
}
