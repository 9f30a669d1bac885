package main

import (
	"context"
	"fmt"
	"io"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/postgres"
)

// Fixtures of `core demo`, which `make run` and `make up` use so that a call
// can be tried at once.
const (
	demoTrunkName = "demo"
	demoNumber    = core.PhoneNumber("+33123456789")
	demoOwnerSub  = "demo"
	demoRoomName  = "Demo room"
)

// seedDemo idempotently creates a demo trunk, its owner and a room with a
// PIN, and prints them as shell exports (DEMO_TRUNK_NUMBER, DEMO_ROOM_PIN,
// DEMO_ROOM_NAME: the LiveKit room name). It writes through the stores, so
// it needs only DATABASE_URL.
func seedDemo(ctx context.Context, db *postgres.DB, stdout io.Writer) error {
	trunks := postgres.NewTrunkService(db)
	if _, err := trunks.FindTrunkByNumber(ctx, demoNumber); core.Code(err) == core.ENOTFOUND {
		t := &core.Trunk{Name: demoTrunkName, Numbers: []core.PhoneNumber{demoNumber}, Language: "en-us", Enabled: true}
		if err := trunks.CreateTrunk(ctx, t); err != nil {
			return fmt.Errorf("demo trunk: %w", err)
		}
	} else if err != nil {
		return err
	}
	owner, err := postgres.NewUserService(db).SignIn(ctx, core.Claims{Sub: demoOwnerSub, FullName: "Demo Owner"}, false)
	if err != nil {
		return fmt.Errorf("demo owner: %w", err)
	}
	rooms := postgres.NewRoomService(db)
	room, err := demoRoom(ctx, rooms, owner.ID)
	// The demo room lets phone callers in before anyone joins on the web, so that a call placed at once
	// (deploy/local/call-demo.sh) lands in the meeting instead of waiting for a host.
	config := []byte(`{"phone_callers_first":true}`)
	switch {
	case core.Code(err) == core.ENOTFOUND:
		room = &core.Room{Name: demoRoomName, AccessLevel: core.AccessPublic, Configuration: config}
		err = rooms.CreateRoom(ctx, room, owner.ID)
	case err == nil && !core.PhoneCallersFirst(room.Configuration):
		room, err = rooms.UpdateRoom(ctx, room.ID, core.RoomUpdate{Configuration: config})
	}
	if err != nil {
		return fmt.Errorf("demo room: %w", err)
	}
	if room.PIN == "" {
		if room, err = rooms.RegeneratePIN(ctx, room.ID); err != nil {
			return fmt.Errorf("demo room PIN: %w", err)
		}
	}
	_, err = fmt.Fprintf(stdout, "export DEMO_TRUNK_NUMBER='%s'\nexport DEMO_ROOM_PIN='%s'\nexport DEMO_ROOM_NAME='%s'\n",
		demoNumber, room.PIN, room.ID)
	return err
}

// demoRoom finds the demo owner's room named demoRoomName (ENOTFOUND when there is none): slugs carry a
// random suffix, so the room is known by its owner and name.
func demoRoom(ctx context.Context, rooms core.RoomService, owner string) (*core.Room, error) {
	var page core.Page
	for {
		found, next, err := rooms.FindRoomsByUser(ctx, owner, page)
		if err != nil {
			return nil, err
		}
		for _, r := range found {
			if r.Name == demoRoomName {
				return r, nil
			}
		}
		if next == "" {
			return nil, core.Errorf(core.ENOTFOUND, "no demo room")
		}
		page.Token = next
	}
}
