package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/testenv"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// TestRoomVisibility checks, for each access level and kind of caller, which
// private parts of a room GetRoom shows.
func TestRoomVisibility(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	if _, err := s.clients(operatorToken).trunks.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{
		Name: "paris", Numbers: []string{"+33123456789"}, Enabled: true, Language: "fr-fr"}); err != nil {
		t.Fatal(err)
	}
	cs, ids := s.principalClients(t)
	type seen struct{ private, accesses bool }
	levels := map[meetlinev1.AccessLevel]map[string]seen{
		meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC: {
			anonymous: {true, false}, stranger: {true, false}, member: {true, false}, admin: {true, true}, owner: {true, true}},
		meetlinev1.AccessLevel_ACCESS_LEVEL_TRUSTED: {
			anonymous: {false, false}, stranger: {true, false}, member: {true, false}, admin: {true, true}, owner: {true, true}},
		meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED: {
			anonymous: {false, false}, stranger: {false, false}, member: {true, false}, admin: {true, true}, owner: {true, true}},
	}
	for level, want := range levels {
		t.Run(level.String(), func(t *testing.T) {
			f := s.newFixture(t, cs, ids, "+33123456789")
			if _, err := cs[owner].rooms.UpdateRoom(ctx, &meetlinev1.UpdateRoomRequest{Id: f.room.Id, AccessLevel: &level}); err != nil {
				t.Fatal(err)
			}
			for p, w := range want {
				res, err := cs[p].rooms.GetRoom(ctx, &meetlinev1.GetRoomRequest{Room: f.room.Id})
				if err != nil {
					t.Fatalf("GetRoom as %s: %v", p, err)
				}
				r := res.Room
				if r.Id != f.room.Id || r.Name == "" || r.Slug == "" || r.AccessLevel != level {
					t.Errorf("%s sees public fields %v", p, r)
				}
				// The configuration and dates only for those the lobby does
				// not stand before: the others see what asking to enter takes.
				if configured := r.Configuration != nil && r.CreateTime != nil; configured != w.private {
					t.Errorf("%s: configuration %v, created %v; want shown=%v", p, r.Configuration, r.CreateTime, w.private)
				}
				gotPrivate := r.DialIn != nil && r.Livekit != nil
				if gotPrivate != w.private || (r.DialIn == nil) != (r.Livekit == nil) {
					t.Errorf("%s: dial-in %v, livekit %v; want private=%v", p, r.DialIn, r.Livekit, w.private)
				}
				if (len(r.Accesses) > 0) != w.accesses {
					t.Errorf("%s: accesses %v; want shown=%v", p, r.Accesses, w.accesses)
				}
				if w.private {
					d := r.DialIn
					if len(d.Pin) != 10 || len(d.Numbers) != 1 || d.Numbers[0].Display != "+33 1 23 45 67 89" ||
						d.Numbers[0].TelUri != "tel:+33123456789,,"+d.Pin+"%23" || d.Numbers[0].Language != "fr-fr" {
						t.Errorf("%s: dial-in %v", p, d)
					}
					if r.Livekit.Room != f.room.Id || r.Livekit.Url == "" || r.Livekit.Token == "" {
						t.Errorf("%s: livekit %v", p, r.Livekit)
					}
				}
			}
		})
	}
}

// TestRoomTokenGrants decodes the LiveKit token GetRoom hands out.
func TestRoomTokenGrants(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	cfg, _ := structpb.NewStruct(map[string]any{"can_publish_sources": []any{"microphone"}})
	if _, err := cs[owner].rooms.UpdateRoom(ctx, &meetlinev1.UpdateRoomRequest{Id: f.room.Id, Configuration: cfg}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]struct {
		admin   bool
		sources string
		role    string
	}{
		owner:  {true, "camera,microphone,screen_share,screen_share_audio", "owner"},
		admin:  {true, "camera,microphone,screen_share,screen_share_audio", "administrator"},
		member: {false, "microphone", "member"},
	} {
		res, err := cs[p].rooms.GetRoom(ctx, &meetlinev1.GetRoomRequest{Room: f.room.Slug})
		if err != nil {
			t.Fatal(err)
		}
		v, err := auth.ParseAPIToken(res.Room.Livekit.Token)
		if err != nil {
			t.Fatal(err)
		}
		_, grants, err := v.Verify(testenv.Getenv(t, "LIVEKIT_API_SECRET"))
		if err != nil {
			t.Fatal(err)
		}
		g := grants.Video
		if grants.Identity != t.Name()+"-"+p || !g.RoomJoin || g.Room != f.room.Id || g.RoomAdmin != want.admin ||
			strings.Join(g.CanPublishSources, ",") != want.sources || *g.CanUpdateOwnMetadata ||
			grants.Attributes["room_role"] != want.role || grants.Attributes["is_authenticated"] != "true" ||
			!strings.HasPrefix(grants.Attributes["color"], "#") {
			t.Errorf("%s: identity %q grants %+v attributes %v", p, grants.Identity, g, grants.Attributes)
		}
	}
}

// TestUpdateRoomReachesLiveRoom checks that a live LiveKit room learns its
// new access level through its metadata, and that a room nobody is in is no error.
func TestUpdateRoomReachesLiveRoom(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	public := meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC
	if _, err := cs[owner].rooms.UpdateRoom(ctx, &meetlinev1.UpdateRoomRequest{Id: f.room.Id, AccessLevel: &public}); err != nil {
		t.Fatalf("update without a live room: %v", err)
	}
	lk := s.lk
	if _, err := lk.Rooms.CreateRoom(ctx, &lkproto.CreateRoomRequest{Name: f.room.Id, EmptyTimeout: 60}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lk.Rooms.DeleteRoom(context.Background(), &lkproto.DeleteRoomRequest{Room: f.room.Id}) })
	trusted := meetlinev1.AccessLevel_ACCESS_LEVEL_TRUSTED
	if _, err := cs[admin].rooms.UpdateRoom(ctx, &meetlinev1.UpdateRoomRequest{Id: f.room.Id, AccessLevel: &trusted}); err != nil {
		t.Fatal(err)
	}
	res, err := lk.Rooms.ListRooms(ctx, &lkproto.ListRoomsRequest{Names: []string{f.room.Id}})
	if err != nil || len(res.Rooms) != 1 {
		t.Fatalf("ListRooms = %v, %v", res, err)
	}
	if md := res.Rooms[0].Metadata; !strings.Contains(md, `"access_level":"trusted"`) || strings.Contains(md, "recording") {
		t.Errorf("metadata = %s", md)
	}
	// While a recording runs, the metadata says so.
	s.seedRecording(t, f.room.Id, core.ModeTranscript, core.RecordingActive)
	if _, err := cs[admin].rooms.UpdateRoom(ctx, &meetlinev1.UpdateRoomRequest{Id: f.room.Id, AccessLevel: &trusted}); err != nil {
		t.Fatal(err)
	}
	res, err = lk.Rooms.ListRooms(ctx, &lkproto.ListRoomsRequest{Names: []string{f.room.Id}})
	if err != nil || len(res.Rooms) != 1 {
		t.Fatalf("ListRooms = %v, %v", res, err)
	}
	if md := res.Rooms[0].Metadata; !strings.Contains(md, `"recording_mode":"transcript"`) || !strings.Contains(md, `"recording_status":"started"`) {
		t.Errorf("metadata while recording = %s", md)
	}
}

// TestJSONErrors posts plain JSON as a browser would and checks codes and
// messages, including the field named by InvalidArgument.
func TestJSONErrors(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	alice := s.token(t, "alice")
	tests := []struct {
		name, procedure, token, body string
		status                       int
		code, message                string
	}{
		{"no token", "RoomService/CreateRoom", "", `{"name":"x"}`, 401, "unauthenticated", "sign in first"},
		{"garbage token", "RoomService/CreateRoom", "garbage", `{"name":"x"}`, 401, "unauthenticated", ""},
		{"empty name", "RoomService/CreateRoom", alice, `{"name":""}`, 400, "invalid_argument", "name: "},
		{"name too long", "RoomService/CreateRoom", alice, `{"name":"` + strings.Repeat("a", 501) + `"}`, 400, "invalid_argument", "name: "},
		{"unknown access level", "RoomService/CreateRoom", alice, `{"name":"x","accessLevel":99}`, 400, "invalid_argument", "access_level: "},
		{"bad language", "UserService/UpdateMe", alice, `{"language":"xx-yy"}`, 400, "invalid_argument", "language: "},
		{"bad time zone", "UserService/UpdateMe", alice, `{"timezone":"Mars/Olympus"}`, 400, "invalid_argument", "timezone: "},
		{"unknown room", "RoomService/GetRoom", alice, `{"room":"no-such-room"}`, 404, "not_found", ""},
		{"empty room", "RoomService/GetRoom", alice, `{"room":""}`, 400, "invalid_argument", "room: "},
		{"page too large", "RoomService/ListRooms", alice, `{"pageSize":1000}`, 400, "invalid_argument", "page_size: "},
		{"user on a service API", "TrunkService/ListTrunks", alice, `{}`, 403, "permission_denied", "operator"},
		{"bad called number", "TelephonyService/ResolvePin", sipgateToken, `{"calledNumber":"nope","pin":"1234"}`, 400, "invalid_argument", "called_number: "},
		{"bad trunk number", "TrunkService/CreateTrunk", operatorToken, `{"name":"x","numbers":["12"]}`, 400, "invalid_argument", "numbers: "},
		{"bad pin length", "TrunkService/CreateTrunk", operatorToken, `{"name":"x","pinLength":3}`, 400, "invalid_argument", "pin_length: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.url+"/meetline.v1."+tt.procedure, bytes.NewBufferString(tt.body))
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var e struct{ Code, Message string }
			json.Unmarshal(body, &e)
			if res.StatusCode != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.message) {
				t.Errorf("%d %s, want %d %s containing %q", res.StatusCode, body, tt.status, tt.code, tt.message)
			}
		})
	}
}

func TestResolvePin(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	if _, err := s.clients(operatorToken).trunks.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{
		Name: "paris", Numbers: []string{"+33123456789"}, Enabled: true, Language: "fr-fr"}); err != nil {
		t.Fatal(err)
	}
	cs, ids := s.principalClients(t)
	f := s.newFixture(t, cs, ids, "+33123456789")
	tel := s.clients(sipgateToken).telephony
	resolve := func(number, pin, caller string) (*meetlinev1.ResolvePinResponse, error) {
		return tel.ResolvePin(ctx, &meetlinev1.ResolvePinRequest{CalledNumber: number, Pin: pin, CallerId: caller})
	}

	got, err := resolve("01 23 45 67 89", f.room.DialIn.Pin, "+33611111111") // national format, default region FR
	if err != nil {
		t.Fatal(err)
	}
	if got.RoomId != f.room.Id || got.LivekitRoom != f.room.Id || got.RoomName != f.room.Name ||
		got.AccessLevel != meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED || got.Language != "fr-fr" {
		t.Errorf("ResolvePin = %v", got)
	}
	for i, bad := range []string{"", "12", "abcdefghij", strings.Repeat("1", 17)} {
		if _, err := resolve("+33123456789", bad, fmt.Sprintf("+3362222222%d", i)); connect.CodeOf(err) != connect.CodeNotFound {
			t.Errorf("ResolvePin(%q) = %v, want NotFound", bad, err)
		}
	}
	if _, err := resolve("+33999999999", f.room.DialIn.Pin, "+33633333333"); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("unknown number: %v, want NotFound", err)
	}

	// The stack allows 3 failures per caller: the fourth attempt, even right, is refused.
	wrong := "0000000000"
	if wrong == f.room.DialIn.Pin {
		wrong = "0000000001"
	}
	for i := 0; i < 3; i++ {
		if _, err := resolve("+33123456789", wrong, "+33644444444"); connect.CodeOf(err) != connect.CodeNotFound {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err = resolve("+33123456789", f.room.DialIn.Pin, "+33644444444")
	if connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Fatalf("locked-out caller: %v, want ResourceExhausted", err)
	}
	if d := retryDelay(err); d <= 0 || d > time.Minute {
		t.Errorf("retry delay = %v, want within the 1-minute window", d)
	}
	if _, err := resolve("+33123456789", f.room.DialIn.Pin, "+33655555555"); err != nil {
		t.Errorf("another caller is not locked out: %v", err)
	}
}

// retryDelay reads the google.rpc.RetryInfo detail of a Connect error.
func retryDelay(err error) time.Duration {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return 0
	}
	for _, d := range ce.Details() {
		if v, err := d.Value(); err == nil {
			if ri, ok := v.(*errdetails.RetryInfo); ok {
				return ri.RetryDelay.AsDuration()
			}
		}
	}
	return 0
}

func TestLookupNumber(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	op := s.clients(operatorToken).trunks
	if _, err := op.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{Name: "paris", Numbers: []string{"+33123456789"}, Enabled: true, Language: "fr-fr", PinLength: 8}); err != nil {
		t.Fatal(err)
	}
	if _, err := op.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{Name: "off", Numbers: []string{"+33987654321"}}); err != nil {
		t.Fatal(err)
	}
	tel := s.clients(sipgateToken).telephony
	got, err := tel.LookupNumber(ctx, &meetlinev1.LookupNumberRequest{CalledNumber: "01 23 45 67 89"})
	if err != nil || got.E164 != "+33123456789" || got.Language != "fr-fr" || got.PinLength != 8 || got.TrunkId == "" {
		t.Fatalf("LookupNumber = %v, %v", got, err)
	}
	for _, n := range []string{"+33987654321" /* disabled */, "+33111111111" /* unknown */} {
		if _, err := tel.LookupNumber(ctx, &meetlinev1.LookupNumberRequest{CalledNumber: n}); connect.CodeOf(err) != connect.CodeNotFound {
			t.Errorf("LookupNumber(%s) = %v, want NotFound", n, err)
		}
	}
	if _, err := tel.LookupNumber(ctx, &meetlinev1.LookupNumberRequest{CalledNumber: "garbage"}); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("LookupNumber(garbage) = %v", err)
	}
}

// TestRoomConfigurationSchema: CreateRoom and UpdateRoom refuse a
// configuration with an unknown key or a value of the wrong type, and the
// room keeps what it had.
func TestRoomConfigurationSchema(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs := s.clients(s.token(t, t.Name()))
	good, _ := structpb.NewStruct(map[string]any{"allow_self_unmute": false})
	res, err := cs.rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: testenv.Name("Schema "), Configuration: good})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []map[string]any{
		{"allow_self_umute": false},
		{"phone_callers_first": "yes"},
		{"can_publish_sources": []any{"telepathy"}},
	} {
		cfg, _ := structpb.NewStruct(bad)
		_, err := cs.rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: testenv.Name("Schema "), Configuration: cfg})
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("CreateRoom(%v): %v, want InvalidArgument", bad, err)
		}
		_, err = cs.rooms.UpdateRoom(ctx, &meetlinev1.UpdateRoomRequest{Id: res.Room.Id, Configuration: cfg})
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("UpdateRoom(%v): %v, want InvalidArgument", bad, err)
		}
	}
	got, err := cs.rooms.GetRoom(ctx, &meetlinev1.GetRoomRequest{Room: res.Room.Slug})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got.Room.Configuration.AsMap()["allow_self_unmute"]; !ok || v != false || len(got.Room.Configuration.Fields) != 1 {
		t.Errorf("configuration after refused updates: %v", got.Room.Configuration)
	}
}

// TestRoomCreationCallback: a room created with a callback id is read once by
// that id, by anyone (a calendar add-on's window, not signed in); a reused id
// creates nothing.
func TestRoomCreationCallback(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	cs := s.clients(s.token(t, t.Name()))
	addOn := s.clients("").rooms
	id := "cb_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	take := func(id string) (*meetlinev1.GetCreationCallbackResponse, error) {
		return addOn.GetCreationCallback(ctx, &meetlinev1.GetCreationCallbackRequest{CallbackId: id})
	}
	if _, err := take(id); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("before the room exists: %v, want NotFound", err)
	}
	created, err := cs.rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: testenv.Name("Planning "), CallbackId: id,
		AccessLevel: meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED})
	if err != nil {
		t.Fatal(err)
	}
	got, err := take(id)
	if err != nil || got.Room.Id != created.Room.Id || got.Room.Slug != created.Room.Slug || got.Room.Livekit != nil || got.Room.DialIn != nil {
		t.Fatalf("GetCreationCallback = %v, %v; want the room %s as a stranger sees it", got, err, created.Room.Id)
	}
	before, err := cs.rooms.ListRooms(ctx, &meetlinev1.ListRoomsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		err  error
		want connect.Code
	}{
		{"read twice", func() error { _, err := take(id); return err }(), connect.CodeNotFound},
		{"id reused", func() error {
			_, err := cs.rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: testenv.Name("Again "), CallbackId: id})
			return err
		}(), connect.CodeAlreadyExists},
		{"id too short", func() error {
			_, err := cs.rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: testenv.Name("Short "), CallbackId: "abc"})
			return err
		}(), connect.CodeInvalidArgument},
		{"id with a space", func() error { _, err := take("0123456789 0123456789 0123456789"); return err }(), connect.CodeInvalidArgument},
		{"no id", func() error { _, err := take(""); return err }(), connect.CodeInvalidArgument},
	} {
		if connect.CodeOf(tt.err) != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	after, err := cs.rooms.ListRooms(ctx, &meetlinev1.ListRoomsRequest{})
	if err != nil || len(after.Rooms) != len(before.Rooms) {
		t.Errorf("refused creations made rooms: %d before, %d after (%v)", len(before.Rooms), len(after.Rooms), err)
	}
}
