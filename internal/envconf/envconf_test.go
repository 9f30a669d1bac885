package envconf_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meetline/meetline/internal/envconf"
)

func getenv(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestLoaderReadsAndKeepsDefaults(t *testing.T) {
	l := envconf.New(getenv(map[string]string{"A": "x", "B": "true", "C": "7", "D": "2s"}))
	a, b, c, d, e := "def", false, 1, time.Second, "kept"
	l.String(&a, "A")
	l.Bool(&b, "B")
	l.Int(&c, "C", 0, 10)
	l.Duration(&d, "D")
	l.String(&e, "E")
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	if a != "x" || !b || c != 7 || d != 2*time.Second || e != "kept" {
		t.Errorf("got %q %v %d %v %q", a, b, c, d, e)
	}
}

// TestLoaderReportsEveryError: one error per bad or missing variable, each
// an *Error naming it, all in one joined error.
func TestLoaderReportsEveryError(t *testing.T) {
	l := envconf.New(getenv(map[string]string{"B": "ture", "C": "11", "D": "-1s", "F": "nope"}))
	var b bool
	var c int
	var d time.Duration
	var f int
	l.Bool(&b, "B")
	l.Int(&c, "C", 0, 10)
	l.Duration(&d, "D")
	envconf.Value(l, &f, "F", func(string) (int, error) { return 0, errors.New("not a number") })
	l.Require("R")
	l.Fail("X", "", errors.New("want one, since B is set"))
	err := l.Err()
	for _, want := range []string{`B="ture": want true or false`, `C="11": want a whole number from 0 to 10`,
		`D="-1s"`, `F="nope": not a number`, "R is required", `X="": want one, since B is set`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	var e *envconf.Error
	if !errors.As(err, &e) || e.Name != "B" {
		t.Errorf("errors.As = %+v, want the *Error of B", e)
	}
	if !errors.Is(err, envconf.ErrRequired) {
		t.Error("a missing variable is not ErrRequired")
	}
}

// TestPrintMasksSecrets shows the effective value of every variable read,
// defaults and derived values included, but never a secret or a URL's password.
func TestPrintMasksSecrets(t *testing.T) {
	l := envconf.New(getenv(map[string]string{"TOKEN": "s3cr3t", "DB": "postgres://app:pw@db:5432/x", "ADDR": ":80"}))
	var token, empty, db, addr, derived string
	l.Secret(&token, "TOKEN")
	l.Secret(&empty, "EMPTY")
	l.String(&db, "DB")
	l.String(&addr, "ADDR")
	l.String(&derived, "DERIVED")
	derived = "http://" + addr // set after reading, as loaders derive defaults
	var out strings.Builder
	if err := l.Print(&out); err != nil {
		t.Fatal(err)
	}
	want := `TOKEN="********"
EMPTY=""
DB="postgres://app:xxxxx@db:5432/x"
ADDR=":80"
DERIVED="http://:80"
`
	if out.String() != want {
		t.Errorf("Print =\n%s\nwant\n%s", out.String(), want)
	}
	if strings.Contains(out.String(), "s3cr3t") || strings.Contains(out.String(), ":pw@") {
		t.Error("a secret was printed")
	}
}

func TestFuncFillsSeveralFields(t *testing.T) {
	l := envconf.New(getenv(map[string]string{"PORTS": "10-20"}))
	var lo, hi string
	l.Func("PORTS", func() string { return lo + "-" + hi }, func(v string) error {
		var ok bool
		lo, hi, ok = strings.Cut(v, "-")
		if !ok {
			return errors.New("want min-max")
		}
		return nil
	})
	if l.Err() != nil || lo != "10" || hi != "20" {
		t.Errorf("got %s-%s, %v", lo, hi, l.Err())
	}
}
