package valkey_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/core/valkey"
)

var ttls = core.LobbyTTLs{Waiting: 300 * time.Millisecond, Accepted: time.Hour, Denied: time.Minute}

// replica opens a second client on the same server and prefix, as another
// core replica would.
func replica(t *testing.T, c *valkey.Client) *valkey.Client {
	t.Helper()
	r, err := valkey.Open(context.Background(), testenv.Getenv(t, "VALKEY_ADDR"), c.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func newLobby(t *testing.T, c *valkey.Client) *valkey.LobbyService {
	return valkey.NewLobbyService(c, valkey.NewHub(c, "lobby-events", testenv.Logger(t)), ttls)
}

func TestLobbyEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := newLobby(t, testenv.Valkey(t))
	put := func(id, name string, st core.EntryStatus) {
		t.Helper()
		if err := l.PutEntry(ctx, &core.LobbyEntry{ID: id, RoomID: "room-1", Username: name, Color: "#123456", Status: st, Kind: core.KindWeb}); err != nil {
			t.Fatal(err)
		}
	}
	put("a", "Ann", core.EntryWaiting)
	time.Sleep(5 * time.Millisecond)
	put("b", "Bob", core.EntryWaiting)
	put("c", "Cyd", core.EntryAccepted)
	put("a", "Ann", core.EntryWaiting) // a refresh keeps Ann first

	waiting, err := l.FindWaiting(ctx, "room-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(waiting) != 2 || waiting[0].ID != "a" || waiting[1].ID != "b" || waiting[0].Username != "Ann" || waiting[0].Kind != core.KindWeb {
		t.Fatalf("FindWaiting = %+v", waiting)
	}
	if e, err := l.FindEntry(ctx, "room-1", "c"); err != nil || e.Status != core.EntryAccepted {
		t.Errorf("FindEntry(c) = %+v, %v", e, err)
	}
	if _, err := l.FindEntry(ctx, "room-2", "a"); core.Code(err) != core.ENOTFOUND {
		t.Errorf("another room's entry: %v", err)
	}

	put("b", "Bob", core.EntryDenied)
	if waiting, _ := l.FindWaiting(ctx, "room-1"); len(waiting) != 1 || waiting[0].ID != "a" {
		t.Errorf("after denying Bob: %+v", waiting)
	}

	time.Sleep(ttls.Waiting + 100*time.Millisecond) // Ann stops refreshing
	if _, err := l.FindEntry(ctx, "room-1", "a"); core.Code(err) != core.ENOTFOUND {
		t.Errorf("expired waiting entry: %v", err)
	}
	if waiting, _ := l.FindWaiting(ctx, "room-1"); len(waiting) != 0 {
		t.Errorf("expired entries listed: %+v", waiting)
	}
	if _, err := l.FindEntry(ctx, "room-1", "b"); err != nil {
		t.Errorf("denied entry expired too early: %v", err)
	}

	if err := l.ClearLobby(ctx, "room-1"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"b", "c"} {
		if _, err := l.FindEntry(ctx, "room-1", id); core.Code(err) != core.ENOTFOUND {
			t.Errorf("entry %s survived ClearLobby: %v", id, err)
		}
	}
}

// TestHubAcrossReplicas: a change written through one replica wakes a
// watcher on another, and only for its room.
func TestHubAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := testenv.Valkey(t)
	one, two := newLobby(t, c), newLobby(t, replica(t, c))
	watch, err := two.WatchLobby(ctx, "room-1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := two.WatchLobby(ctx, "room-2")
	if err != nil {
		t.Fatal(err)
	}
	if err := one.PutEntry(ctx, &core.LobbyEntry{ID: "a", RoomID: "room-1", Username: "Ann", Status: core.EntryWaiting}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-watch:
	case <-time.After(5 * time.Second):
		t.Fatal("the other replica's watcher was not signalled")
	}
	select {
	case <-other:
		t.Error("a watcher of another room was signalled")
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	select {
	case _, ok := <-watch:
		if ok {
			<-watch
		}
	case <-time.After(time.Second):
		t.Error("the watch channel was not closed when its context ended")
	}
}

// TestLobbyRemoveAndNotify: a removed entry is gone from every read at once,
// and both RemoveEntry and Notify wake the room's watchers.
func TestLobbyRemoveAndNotify(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := newLobby(t, testenv.Valkey(t))
	for _, id := range []string{"a", "b"} {
		if err := l.PutEntry(ctx, &core.LobbyEntry{ID: id, RoomID: "room-1", Username: "Phone ••• 42", Status: core.EntryWaiting, Kind: core.KindPhone}); err != nil {
			t.Fatal(err)
		}
	}
	watch, err := l.WatchLobby(ctx, "room-1")
	if err != nil {
		t.Fatal(err)
	}
	signalled := func(what string) {
		t.Helper()
		select {
		case <-watch:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not signal the room's watchers", what)
		}
	}
	if err := l.RemoveEntry(ctx, "room-1", "a"); err != nil {
		t.Fatal(err)
	}
	signalled("RemoveEntry")
	if _, err := l.FindEntry(ctx, "room-1", "a"); core.Code(err) != core.ENOTFOUND {
		t.Errorf("removed entry: %v", err)
	}
	if waiting, _ := l.FindWaiting(ctx, "room-1"); len(waiting) != 1 || waiting[0].ID != "b" {
		t.Errorf("FindWaiting after removal = %+v", waiting)
	}
	if err := l.Notify(ctx, "room-1"); err != nil {
		t.Fatal(err)
	}
	signalled("Notify")
}
