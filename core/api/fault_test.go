package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/testenv"
	"github.com/meetline/meetline/core/valkey"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	sipgatecli "github.com/meetline/meetline/sipgate"
	"github.com/meetline/meetline/sipgate/corerpc"
)

// Fault tests: a dependency of the test's own goes away under a running
// core and comes back; the core must say so (Unavailable to callers, 503 on
// /readyz naming it) and recover on its own, losing nothing it accepted.

// recovers polls cond every 50 ms for up to 15 s and returns how long it took.
func recovers(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 15*time.Second {
			t.Fatalf("no %s within 15 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// TestPostgresRestart stops the core's Postgres (immediate shutdown, as a
// crash or a fail-over) and starts it again.
func TestPostgresRestart(t *testing.T) {
	t.Parallel()
	pg := testenv.StartPostgres(t)
	db, err := postgres.Open(context.Background(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if err := db.Migrate(context.Background(), testenv.Logger(t)); err != nil {
		t.Fatal(err)
	}
	s := newStack(t, func(srv *api.Server) {
		srv.Users, srv.Rooms = postgres.NewUserService(db), postgres.NewRoomService(db)
		srv.Accesses, srv.Trunks = postgres.NewAccessService(db), postgres.NewTrunkService(db)
		srv.Recordings = postgres.NewRecordingService(db)
		srv.Checks[0] = api.Check{Name: "postgres", Ping: db.Ping}
	})
	ctx := t.Context()
	op := s.clients(operatorToken).trunks
	before, err := op.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{Name: "before", Numbers: []string{"+33 1 23 45 67 01"}, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}

	pg.Stop()
	_, err = op.ListTrunks(ctx, &meetlinev1.ListTrunksRequest{})
	if connect.CodeOf(err) != connect.CodeUnavailable {
		t.Errorf("ListTrunks with Postgres down: %v, want Unavailable", err)
	}
	_, err = s.clients(sipgateToken).telephony.LookupNumber(ctx, &meetlinev1.LookupNumberRequest{CalledNumber: "+33123456701"})
	if connect.CodeOf(err) != connect.CodeUnavailable {
		t.Errorf("LookupNumber with Postgres down: %v, want Unavailable", err)
	}
	code, body := getReady(t, s.admin)
	if code != http.StatusServiceUnavailable || body.Checks["postgres"].OK || !body.Checks["valkey"].OK {
		t.Errorf("Postgres down: /readyz = %d %+v, want 503 on postgres alone", code, body)
	}

	pg.Start()
	took := recovers(t, "ListTrunks after Postgres returned", func() bool {
		_, err := op.ListTrunks(ctx, &meetlinev1.ListTrunksRequest{})
		return err == nil
	})
	t.Logf("RPCs answer %s after Postgres returned", took)
	if code, body := getReady(t, s.admin); code != http.StatusOK {
		t.Errorf("Postgres back: /readyz = %d %+v", code, body)
	}
	list, err := op.ListTrunks(ctx, &meetlinev1.ListTrunksRequest{})
	if err != nil || len(list.Trunks) != 1 || list.Trunks[0].Id != before.Trunk.Id {
		t.Errorf("after the restart ListTrunks = %v, %v; want the trunk made before", list, err)
	}
	if _, err := op.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{Name: "after", Numbers: []string{"+33 1 23 45 67 02"}, Enabled: true}); err != nil {
		t.Errorf("CreateTrunk after the restart: %v", err)
	}
}

// TestValkeyRestartEmpty restarts the core's Valkey empty (a fail-over to an
// empty replica, a restart without persistence) while a phone caller waits
// in a room's lobby through sipgate's own client. While Valkey is down, PIN
// checks answer Unavailable and /readyz is 503 on valkey alone; once it is
// back, the caller is in the lobby again under the same entry, an
// administrator admits them, and new callers get through, with no restart.
func TestValkeyRestartEmpty(t *testing.T) {
	t.Parallel()
	v := testenv.StartValkey(t)
	kv, err := valkey.Open(context.Background(), v.Addr, "fault:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kv.Close)
	s := newStack(t, func(srv *api.Server) {
		srv.PINAttempts = valkey.NewPINAttempts(kv, testPINPolicy)
		srv.Lobby = valkey.NewLobbyService(kv, valkey.NewHub(kv, "lobby-events", testenv.Logger(t)), lobbyTTLs)
		srv.Presence, srv.Limiter, srv.Dedup = valkey.NewPresence(kv), valkey.NewRateLimiter(kv), valkey.NewDeduplicator(kv)
		srv.Checks[1] = api.Check{Name: "valkey", Ping: kv.Ping}
	})
	ctx := t.Context()
	owner := s.clients(s.token(t, t.Name()+"-owner"))
	room := newRoom(t, owner, meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED, nil)
	gate := corerpc.New(sipgatecli.CoreConfig{URL: s.url, Token: sipgateToken, ResolveTimeout: 2 * time.Second})
	statuses := make(chan sipgatecli.Admission, 10)
	joined := make(chan error, 1)
	go func() {
		joined <- gate.JoinRoom(ctx, sipgatecli.JoinRequest{RoomID: room, Caller: callerID, CallID: uuid.NewString()},
			func(a sipgatecli.Admission) { statuses <- a })
	}()
	first := <-statuses
	if first.Status != sipgatecli.WaitingInLobby {
		t.Fatalf("first status %v, want waiting in the lobby", first)
	}
	list, err := owner.lobby.ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: room})
	if err != nil || len(list.Participants) != 1 {
		t.Fatalf("ListWaiting = %v, %v; want the caller", list, err)
	}
	entry := list.Participants[0].Id

	v.Stop()
	_, err = s.clients(sipgateToken).telephony.ResolvePin(ctx, &meetlinev1.ResolvePinRequest{CalledNumber: "+33123456789", Pin: "0123456789", CallerId: callerID})
	if connect.CodeOf(err) != connect.CodeUnavailable {
		t.Errorf("ResolvePin with Valkey down: %v, want Unavailable", err)
	}
	code, body := getReady(t, s.admin)
	if code != http.StatusServiceUnavailable || body.Checks["valkey"].OK || !body.Checks["postgres"].OK {
		t.Errorf("Valkey down: /readyz = %d %+v, want 503 on valkey alone", code, body)
	}

	v.Start() // empty: the lobby entry, the counters and the hub's subscription are gone
	var entries []*meetlinev1.LobbyParticipant
	took := recovers(t, "the caller back in the lobby", func() bool {
		list, err := owner.lobby.ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: room})
		entries = list.GetParticipants()
		return err == nil && len(entries) == 1
	})
	t.Logf("caller back in the lobby %s after Valkey returned empty", took)
	if entries[0].Id != entry {
		t.Errorf("entry %s after the restart, want the caller's own %s", entries[0].Id, entry)
	}
	if code, body := getReady(t, s.admin); code != http.StatusOK {
		t.Errorf("Valkey back: /readyz = %d %+v", code, body)
	}
	if _, err := owner.lobby.Decide(ctx, &meetlinev1.DecideRequest{RoomId: room, ParticipantId: entries[0].Id, Allow: true}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-joined:
		if err != nil {
			t.Fatalf("JoinRoom: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the caller was not admitted")
	}
	var last sipgatecli.Admission
	for len(statuses) > 0 {
		last = <-statuses
	}
	if last.Status != sipgatecli.Admitted || last.LiveKitRoom != room {
		t.Errorf("last status %+v, want admitted to %s", last, room)
	}
}
