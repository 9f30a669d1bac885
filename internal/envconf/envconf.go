// Package envconf reads a service's configuration from its environment, for
// the core and sipgate alike. A Loader reads each variable into a field that
// already holds its default, keeps every error (not only the first, so an
// operator fixes a deployment in one go), and remembers what it read, so that
// `core config check` and `sipgate config check` can print the effective
// configuration with its secrets masked.
package envconf

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Error reports a variable whose value cannot be used, naming it so an
// operator can fix it. Value is empty for a variable that is missing.
type Error struct {
	Name  string
	Value string
	Err   error
}

func (e *Error) Error() string {
	if e.Value == "" && errors.Is(e.Err, ErrRequired) {
		return fmt.Sprintf("%s %v", e.Name, e.Err)
	}
	return fmt.Sprintf("%s=%q: %v", e.Name, e.Value, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrRequired is the error of a variable that must be set and is not.
var ErrRequired = errors.New("is required")

// Loader reads variables through getenv (os.Getenv in a main, a map in tests).
type Loader struct {
	getenv func(string) string
	vars   []variable
	errs   []error
}

// variable is one variable read: show formats the field it went into, read
// after loading so that derived defaults show too.
type variable struct {
	name   string
	secret bool
	show   func() string
}

// New returns a Loader reading through getenv.
func New(getenv func(string) string) *Loader { return &Loader{getenv: getenv} }

// Get returns the raw value of name, without recording it.
func (l *Loader) Get(name string) string { return l.getenv(name) }

// Value reads name into *p with parse; unset, *p keeps its default. A parse
// error is kept as an *Error naming the variable.
func Value[T any](l *Loader, p *T, name string, parse func(string) (T, error)) {
	l.vars = append(l.vars, variable{name: name, show: func() string { return fmt.Sprint(*p) }})
	v := l.getenv(name)
	if v == "" {
		return
	}
	x, err := parse(v)
	if err != nil {
		l.errs = append(l.errs, &Error{Name: name, Value: v, Err: err})
		return
	}
	*p = x
}

// Func reads name with set, for a variable that fills more than one field
// (show formats them). Unset, set is not called.
func (l *Loader) Func(name string, show func() string, set func(string) error) {
	l.vars = append(l.vars, variable{name: name, show: show})
	if v := l.getenv(name); v != "" {
		if err := set(v); err != nil {
			l.errs = append(l.errs, &Error{Name: name, Value: v, Err: err})
		}
	}
}

// String reads name into *p as it is.
func (l *Loader) String(p *string, name string) {
	Value(l, p, name, func(v string) (string, error) { return v, nil })
}

// Secret reads name into *p; Print masks it, and errors never show it.
func (l *Loader) Secret(p *string, name string) {
	l.String(p, name)
	l.vars[len(l.vars)-1].secret = true
}

// Bool reads true or false (and what strconv.ParseBool takes), so that a typo
// such as "ture" fails at start instead of leaving an option off.
func (l *Loader) Bool(p *bool, name string) {
	Value(l, p, name, func(v string) (bool, error) {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, errors.New("want true or false")
		}
		return b, nil
	})
}

// Int reads a whole number from lo to hi.
func (l *Loader) Int(p *int, name string, lo, hi int) {
	Value(l, p, name, func(v string) (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("want a whole number from %d to %d", lo, hi)
		}
		return n, nil
	})
}

// Duration reads a positive Go duration such as 30s.
func (l *Loader) Duration(p *time.Duration, name string) {
	Value(l, p, name, func(v string) (time.Duration, error) {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return 0, errors.New("want a positive Go duration such as 30s")
		}
		return d, nil
	})
}

// Require reports each of names that is unset.
func (l *Loader) Require(names ...string) {
	for _, name := range names {
		if l.getenv(name) == "" {
			l.errs = append(l.errs, &Error{Name: name, Err: ErrRequired})
		}
	}
}

// Fail reports name with the reason its value (empty: missing) cannot be
// used, for rules across variables.
func (l *Loader) Fail(name, value string, err error) {
	l.errs = append(l.errs, &Error{Name: name, Value: value, Err: err})
}

// Err returns every error so far, joined; nil when there is none.
func (l *Loader) Err() error { return errors.Join(l.errs...) }

// Masked is what Print shows of a secret that is set.
const Masked = "********"

// Print writes one NAME=value line per variable read, in the order read,
// with the effective value (the default when unset), secrets masked and
// the passwords of URLs redacted.
func (l *Loader) Print(w io.Writer) error {
	for _, v := range l.vars {
		s := v.show()
		switch {
		case v.secret && s != "":
			s = Masked
		case strings.Contains(s, "://"):
			if u, err := url.Parse(s); err == nil {
				s = u.Redacted() // postgres://user:xxxxx@host/db
			}
		}
		if _, err := fmt.Fprintf(w, "%s=%s\n", v.name, strconv.Quote(s)); err != nil {
			return err
		}
	}
	return nil
}
