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
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TrunkFilter selects trunks; a nil field matches everything.
type TrunkFilter struct {
	Enabled *bool
}

// TrunkService stores trunks.
type TrunkService interface {
	// FindTrunks returns the trunks that match filter, ordered by name.
	FindTrunks(ctx context.Context, filter TrunkFilter) ([]*Trunk, error)
}
