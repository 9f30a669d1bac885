package core

import (
	"context"
	"time"
)

// Trunk is a PIN namespace: the set of phone numbers a carrier routes to us,
// the rooms whose PINs are unique within it, and the language its prompts speak.
// Rooms are spread over trunks so that each namespace stays sparse.
type Trunk struct {
	ID        string
	Name      string
	Numbers   []PhoneNumber
	PINLength int
	Language  string
	Enabled   bool
	RoomCount int64 // rooms with a PIN in this trunk
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TrunkFilter selects trunks; a nil field matches everything.
type TrunkFilter struct {
	Enabled *bool
}

// Bounds and defaults of a trunk's PIN length. Ten digits keep a namespace of
// a million rooms at one collision per 10,000 assignments.
const (
	MinPINLength     = 4
	MaxPINLength     = 16
	DefaultPINLength = 10
)

// TrunkUpdate holds the fields to change; nil leaves a field as it is.
type TrunkUpdate struct {
	Name      *string
	Numbers   *[]PhoneNumber
	PINLength *int
	Language  *string
	Enabled   *bool
}

// TrunkService stores trunks.
type TrunkService interface {
	// FindTrunks returns the trunks that match filter, ordered by name.
	FindTrunks(ctx context.Context, filter TrunkFilter) ([]*Trunk, error)
	FindTrunkByID(ctx context.Context, id string) (*Trunk, error)
	// FindTrunkByNumber returns the enabled trunk that owns number, or ENOTFOUND.
	FindTrunkByNumber(ctx context.Context, number PhoneNumber) (*Trunk, error)
	// CreateTrunk stores t and fills in its ID and times. A taken name or
	// number → ECONFLICT.
	CreateTrunk(ctx context.Context, t *Trunk) error
	UpdateTrunk(ctx context.Context, id string, upd TrunkUpdate) (*Trunk, error)
}
