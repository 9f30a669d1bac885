package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/testenv"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// clients holds one client per API for one principal.
type clients struct {
	lobby        meetlinev1connect.LobbyServiceClient
	recordings   meetlinev1connect.RecordingServiceClient
	invitations  meetlinev1connect.InvitationServiceClient
	config       meetlinev1connect.ConfigServiceClient
	users        meetlinev1connect.UserServiceClient
	rooms        meetlinev1connect.RoomServiceClient
	accesses     meetlinev1connect.AccessServiceClient
	trunks       meetlinev1connect.TrunkServiceClient
	telephony    meetlinev1connect.TelephonyServiceClient
	participants meetlinev1connect.ParticipantServiceClient
	calls        meetlinev1connect.CallServiceClient
	operators    meetlinev1connect.OperatorServiceClient
}

func (s *stack) clients(token string) *clients {
	return s.clientsWith(as(token))
}

func (s *stack) clientsWith(hc *http.Client, opts ...connect.ClientOption) *clients {
	return &clients{
		lobby:        meetlinev1connect.NewLobbyServiceClient(hc, s.url, opts...),
		recordings:   meetlinev1connect.NewRecordingServiceClient(hc, s.url, opts...),
		invitations:  meetlinev1connect.NewInvitationServiceClient(hc, s.url, opts...),
		config:       meetlinev1connect.NewConfigServiceClient(hc, s.url, opts...),
		users:        meetlinev1connect.NewUserServiceClient(hc, s.url, opts...),
		rooms:        meetlinev1connect.NewRoomServiceClient(hc, s.url, opts...),
		accesses:     meetlinev1connect.NewAccessServiceClient(hc, s.url, opts...),
		trunks:       meetlinev1connect.NewTrunkServiceClient(hc, s.url, opts...),
		telephony:    meetlinev1connect.NewTelephonyServiceClient(hc, s.url, opts...),
		participants: meetlinev1connect.NewParticipantServiceClient(hc, s.url, opts...),
		calls:        meetlinev1connect.NewCallServiceClient(hc, s.url, opts...),
		operators:    meetlinev1connect.NewOperatorServiceClient(hc, s.url, opts...),
	}
}

// fixture is a restricted room with an owner, an administrator and a member,
// on a trunk whose number is +33123456789.
type fixture struct {
	room         *meetlinev1.Room
	ids          map[string]string // principal → user id
	memberAccess string
	adminAccess  string
	extraUser    string // a user with no role yet
	extraEmail   string // their address
	number       string
}

const (
	anonymous = "anonymous"
	stranger  = "stranger"
	member    = "member"
	admin     = "administrator"
	owner     = "owner"
	sipgate   = "sipgate"
	operator  = "operator"
	// opUser is a user with the operator role (OperatorService), in no room.
	opUser = "operator-user"
)

var principals = []string{anonymous, stranger, member, admin, owner, sipgate, operator, opUser}

// principalClients signs each user in once (users are created on first sight).
func (s *stack) principalClients(t testing.TB) (map[string]*clients, map[string]string) {
	t.Helper()
	cs := map[string]*clients{anonymous: s.clients(""), sipgate: s.clients(sipgateToken), operator: s.clients(operatorToken)}
	ids := map[string]string{}
	for _, p := range []string{stranger, member, admin, owner, opUser, "extra"} {
		cs[p] = s.clients(s.token(t, t.Name()+"-"+p))
		me, err := cs[p].users.GetMe(context.Background(), &meetlinev1.GetMeRequest{})
		if err != nil {
			t.Fatalf("GetMe as %s: %v", p, err)
		}
		ids[p] = me.User.Id
		if p == "extra" {
			ids["extra-email"] = me.User.Email
		}
	}
	if _, err := cs[operator].operators.SetOperator(context.Background(), &meetlinev1.SetOperatorRequest{User: ids[opUser], Operator: true}); err != nil {
		t.Fatalf("SetOperator: %v", err)
	}
	return cs, ids
}

func (s *stack) newFixture(t testing.TB, cs map[string]*clients, ids map[string]string, number string) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{ids: ids, extraUser: ids["extra"], extraEmail: ids["extra-email"], number: number}
	room, err := cs[owner].rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{
		Name: testenv.Name("Room " + t.Name() + " "), AccessLevel: meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED})
	if err != nil {
		t.Fatal(err)
	}
	f.room = room.Room
	for p, role := range map[string]meetlinev1.Role{member: meetlinev1.Role_ROLE_MEMBER, admin: meetlinev1.Role_ROLE_ADMINISTRATOR} {
		a, err := cs[owner].accesses.AddAccess(ctx, &meetlinev1.AddAccessRequest{RoomId: f.room.Id, UserId: ids[p], Role: role})
		if err != nil {
			t.Fatal(err)
		}
		if p == member {
			f.memberAccess = a.Access.Id
		} else {
			f.adminAccess = a.Access.Id
		}
	}
	return f
}

// TestAuthorizationMatrix calls every RPC as every kind of caller and checks
// the outcome: each cell is the Connect code expected (0 = success).
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	// The owner creates one room per case, far over ROOMS_PER_HOUR (TestRoomRateLimits tests it).
	s := newStack(t, func(srv *api.Server) { srv.RoomLimits.CreatePerUser.Max = 1 << 30 })
	ctx := context.Background()
	trunk, err := s.clients(operatorToken).trunks.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{
		Name: "paris", Numbers: []string{"+33 1 23 45 67 89"}, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	cs, ids := s.principalClients(t)

	const (
		ok    = connect.Code(0)
		unath = connect.CodeUnauthenticated
		deny  = connect.CodePermissionDenied
		nf    = connect.CodeNotFound
	)
	type call func(c *clients, f *fixture) error
	// pending gives f's room a member role waiting for an address nobody
	// has; its id, "" if that failed (the call then fails as InvalidArgument).
	pending := func(f *fixture) string {
		p, _ := cs[owner].accesses.AddAccess(ctx, &meetlinev1.AddAccessRequest{RoomId: f.room.Id,
			Email: "nobody-yet-" + f.room.Id + "@example.org", Role: meetlinev1.Role_ROLE_MEMBER})
		return p.GetPending().GetId()
	}
	rpcs := []struct {
		name string
		call call
		want map[string]connect.Code // principals not listed: ok for users, deny for services, unauth for anonymous
	}{
		{"GetConfig", func(c *clients, f *fixture) error {
			_, err := c.config.GetConfig(ctx, &meetlinev1.GetConfigRequest{})
			return err
		}, map[string]connect.Code{anonymous: ok}},
		{"GetMe", func(c *clients, f *fixture) error {
			_, err := c.users.GetMe(ctx, &meetlinev1.GetMeRequest{})
			return err
		}, nil},
		{"UpdateMe", func(c *clients, f *fixture) error {
			lang := "fr-fr"
			_, err := c.users.UpdateMe(ctx, &meetlinev1.UpdateMeRequest{Language: &lang})
			return err
		}, nil},
		{"CreateRoom", func(c *clients, f *fixture) error {
			_, err := c.rooms.CreateRoom(ctx, &meetlinev1.CreateRoomRequest{Name: "new " + f.room.Id})
			return err
		}, nil},
		{"GetRoom", func(c *clients, f *fixture) error {
			_, err := c.rooms.GetRoom(ctx, &meetlinev1.GetRoomRequest{Room: f.room.Slug})
			return err
		}, map[string]connect.Code{anonymous: ok}},
		{"ListRooms", func(c *clients, f *fixture) error {
			_, err := c.rooms.ListRooms(ctx, &meetlinev1.ListRoomsRequest{})
			return err
		}, nil},
		{"UpdateRoom", func(c *clients, f *fixture) error {
			name := "Renamed " + f.room.Id
			_, err := c.rooms.UpdateRoom(ctx, &meetlinev1.UpdateRoomRequest{Id: f.room.Id, Name: &name})
			return err
		}, map[string]connect.Code{stranger: deny, member: deny}},
		{"DeleteRoom", func(c *clients, f *fixture) error {
			_, err := c.rooms.DeleteRoom(ctx, &meetlinev1.DeleteRoomRequest{Id: f.room.Id})
			return err
		}, map[string]connect.Code{stranger: deny, member: deny, admin: deny}},
		{"RegeneratePin", func(c *clients, f *fixture) error {
			_, err := c.rooms.RegeneratePin(ctx, &meetlinev1.RegeneratePinRequest{Id: f.room.Id})
			return err
		}, map[string]connect.Code{stranger: deny, member: deny}},
		{"RefreshToken", func(c *clients, f *fixture) error {
			_, err := c.rooms.RefreshToken(ctx, &meetlinev1.RefreshTokenRequest{Room: f.room.Id})
			return err
		}, map[string]connect.Code{anonymous: deny, stranger: deny}},
		{"ListAccesses", func(c *clients, f *fixture) error {
			_, err := c.accesses.ListAccesses(ctx, &meetlinev1.ListAccessesRequest{RoomId: f.room.Id})
			return err
		}, map[string]connect.Code{stranger: deny, member: deny}},
		{"AddAccess/member", func(c *clients, f *fixture) error {
			_, err := c.accesses.AddAccess(ctx, &meetlinev1.AddAccessRequest{RoomId: f.room.Id, UserId: f.extraUser, Role: meetlinev1.Role_ROLE_MEMBER})
			return err
		}, map[string]connect.Code{stranger: deny, member: deny}},
		{"AddAccess/owner", func(c *clients, f *fixture) error {
			_, err := c.accesses.AddAccess(ctx, &meetlinev1.AddAccessRequest{RoomId: f.room.Id, UserId: f.extraUser, Role: meetlinev1.Role_ROLE_OWNER})
			return err
		}, map[string]connect.Code{stranger: deny, member: deny, admin: deny}},
		{"UpdateAccess/member→administrator", func(c *clients, f *fixture) error {
			_, err := c.accesses.UpdateAccess(ctx, &meetlinev1.UpdateAccessRequest{Id: f.memberAccess, Role: meetlinev1.Role_ROLE_ADMINISTRATOR})
			return err
		}, map[string]connect.Code{stranger: nf, member: deny}},
		{"UpdateAccess/member→owner", func(c *clients, f *fixture) error {
			_, err := c.accesses.UpdateAccess(ctx, &meetlinev1.UpdateAccessRequest{Id: f.memberAccess, Role: meetlinev1.Role_ROLE_OWNER})
			return err
		}, map[string]connect.Code{stranger: nf, member: deny, admin: deny}},
		{"RemoveAccess/administrator", func(c *clients, f *fixture) error {
			_, err := c.accesses.RemoveAccess(ctx, &meetlinev1.RemoveAccessRequest{Id: f.adminAccess})
			return err
		}, map[string]connect.Code{stranger: nf, member: deny}},
		{"UpdatePendingAccess/member→administrator", func(c *clients, f *fixture) error {
			_, err := c.accesses.UpdatePendingAccess(ctx, &meetlinev1.UpdatePendingAccessRequest{Id: pending(f), Role: meetlinev1.Role_ROLE_ADMINISTRATOR})
			return err
		}, map[string]connect.Code{stranger: nf, member: deny}},
		{"UpdatePendingAccess/member→owner", func(c *clients, f *fixture) error {
			_, err := c.accesses.UpdatePendingAccess(ctx, &meetlinev1.UpdatePendingAccessRequest{Id: pending(f), Role: meetlinev1.Role_ROLE_OWNER})
			return err
		}, map[string]connect.Code{stranger: nf, member: deny, admin: deny}},
		{"RemovePendingAccess", func(c *clients, f *fixture) error {
			_, err := c.accesses.RemovePendingAccess(ctx, &meetlinev1.RemovePendingAccessRequest{Id: pending(f)})
			return err
		}, map[string]connect.Code{stranger: nf, member: deny}},
		{"FindUser", func(c *clients, f *fixture) error {
			_, err := c.accesses.FindUser(ctx, &meetlinev1.FindUserRequest{RoomId: f.room.Id, Email: f.extraEmail})
			return err
		}, map[string]connect.Code{stranger: deny, member: deny}},
		{"RequestEntry", func(c *clients, f *fixture) error {
			_, err := c.lobby.RequestEntry(ctx, &meetlinev1.RequestEntryRequest{Room: f.room.Id, Username: "Someone"})
			return err
		}, map[string]connect.Code{anonymous: ok}},
		{"ListWaiting", func(c *clients, f *fixture) error {
			_, err := c.lobby.ListWaiting(ctx, &meetlinev1.ListWaitingRequest{RoomId: f.room.Id})
			return err
		}, map[string]connect.Code{stranger: deny, member: deny}},
		{"ListRecordings", func(c *clients, f *fixture) error {
			_, err := c.recordings.ListRecordings(ctx, &meetlinev1.ListRecordingsRequest{})
			return err
		}, nil},
		{"StopRecording", func(c *clients, f *fixture) error {
			_, err := c.recordings.StopRecording(ctx, &meetlinev1.StopRecordingRequest{RoomId: f.room.Id})
			return err
		}, map[string]connect.Code{stranger: deny, member: deny, admin: nf, owner: nf}},
		{"Invite", func(c *clients, f *fixture) error {
			_, err := c.invitations.Invite(ctx, &meetlinev1.InviteRequest{RoomId: f.room.Id, Emails: []string{"someone@example.org"}})
			return err
		}, map[string]connect.Code{stranger: deny, member: deny}},
		{"CreateTrunk", func(c *clients, f *fixture) error {
			_, err := c.trunks.CreateTrunk(ctx, &meetlinev1.CreateTrunkRequest{Name: "t-" + f.room.Id})
			return err
		}, operatorRow()},
		{"ListTrunks", func(c *clients, f *fixture) error {
			_, err := c.trunks.ListTrunks(ctx, &meetlinev1.ListTrunksRequest{})
			return err
		}, operatorRow()},
		{"UpdateTrunk", func(c *clients, f *fixture) error {
			lang := "fr-fr"
			_, err := c.trunks.UpdateTrunk(ctx, &meetlinev1.UpdateTrunkRequest{Id: trunk.Trunk.Id, Language: &lang})
			return err
		}, operatorRow()},
		{"LookupNumber", func(c *clients, f *fixture) error {
			_, err := c.telephony.LookupNumber(ctx, &meetlinev1.LookupNumberRequest{CalledNumber: f.number})
			return err
		}, serviceOnly(sipgate)},
		{"ListParticipants", func(c *clients, f *fixture) error {
			_, err := c.participants.ListParticipants(ctx, &meetlinev1.ListParticipantsRequest{RoomId: f.room.Id})
			return err
		}, map[string]connect.Code{stranger: deny, member: deny}},
		{"RemoveParticipant", func(c *clients, f *fixture) error {
			_, err := c.participants.RemoveParticipant(ctx, &meetlinev1.RemoveParticipantRequest{RoomId: f.room.Id, Identity: "nobody"})
			return err
		}, map[string]connect.Code{stranger: deny, member: deny, admin: nf, owner: nf}},
		{"PhoneCommand", func(c *clients, f *fixture) error {
			_, err := c.telephony.PhoneCommand(ctx, &meetlinev1.PhoneCommandRequest{CallId: "no-such-call", RoomId: f.room.Id,
				Command: meetlinev1.KeypadCommand_KEYPAD_COMMAND_STATUS})
			return err
		}, phoneCommandRow()},
		{"ResolvePin", func(c *clients, f *fixture) error {
			_, err := c.telephony.ResolvePin(ctx, &meetlinev1.ResolvePinRequest{CalledNumber: f.number, Pin: f.room.DialIn.Pin, CallerId: "+33600000000"})
			return err
		}, serviceOnly(sipgate)},
		{"JoinRoom", func(c *clients, f *fixture) error {
			ctx, hangUp := context.WithCancel(ctx)
			defer hangUp()
			st, err := c.telephony.JoinRoom(ctx, &meetlinev1.JoinRoomRequest{RoomId: f.room.Id, CallerId: "+33600000000", CallId: "matrix"})
			if err != nil || st.Receive() {
				return err
			}
			return st.Err()
		}, serviceOnly(sipgate)},
		{"WatchCall", func(c *clients, f *fixture) error {
			ctx, hangUp := context.WithTimeout(ctx, 300*time.Millisecond)
			defer hangUp()
			st, err := c.telephony.WatchCall(ctx, &meetlinev1.WatchCallRequest{CallId: "matrix"})
			if err != nil || st.Receive() {
				return err
			}
			if err := st.Err(); connect.CodeOf(err) != connect.CodeDeadlineExceeded {
				return err
			}
			return nil // watched until the call's end
		}, serviceOnly(sipgate)},
		{"RecordCalls", func(c *clients, f *fixture) error {
			_, err := c.telephony.RecordCalls(ctx, &meetlinev1.RecordCallsRequest{Records: []*meetlinev1.CallRecord{
				{Id: "matrix", StartTime: timestamppb.Now(), CallerMasked: "+33 6•• ••• •00"}}})
			return err
		}, serviceOnly(sipgate)},
		{"OpenTransfer", func(c *clients, f *fixture) error {
			_, err := c.telephony.OpenTransfer(ctx, &meetlinev1.OpenTransferRequest{RoomId: f.room.Id, CallId: "matrix"})
			return err
		}, transferRow()},
		{"CloseTransfer", func(c *clients, f *fixture) error {
			_, err := c.telephony.CloseTransfer(ctx, &meetlinev1.CloseTransferRequest{TargetUser: "xfer-matrix"})
			return err
		}, transferRow()},
		{"ListCalls", func(c *clients, f *fixture) error {
			_, err := c.calls.ListCalls(ctx, &meetlinev1.ListCallsRequest{})
			return err
		}, operatorRow()},
		{"CountCalls", func(c *clients, f *fixture) error {
			_, err := c.calls.CountCalls(ctx, &meetlinev1.CountCallsRequest{})
			return err
		}, operatorRow()},
		{"WatchCalls", func(c *clients, f *fixture) error {
			st, err := c.calls.WatchCalls(ctx, &meetlinev1.WatchCallsRequest{})
			if err != nil {
				return err
			}
			defer st.Close()
			if st.Receive() {
				return nil
			}
			return st.Err()
		}, operatorRow()},
		{"SetOperator", func(c *clients, f *fixture) error {
			_, err := c.operators.SetOperator(ctx, &meetlinev1.SetOperatorRequest{User: f.extraUser, Operator: false})
			return err
		}, serviceOnly(operator)},
		{"ListOperators", func(c *clients, f *fixture) error {
			_, err := c.operators.ListOperators(ctx, &meetlinev1.ListOperatorsRequest{})
			return err
		}, serviceOnly(operator)},
	}
	for _, rpc := range rpcs {
		for _, p := range principals {
			want, listed := rpc.want[p]
			if !listed && p == opUser { // in no room: a stranger, but for the operators' APIs
				want, listed = rpc.want[stranger]
			}
			if !listed {
				switch p {
				case anonymous:
					want = unath
				case sipgate, operator:
					want = deny
				default:
					want = ok
				}
			}
			t.Run(rpc.name+"/"+p, func(t *testing.T) {
				t.Parallel()
				f := s.newFixture(t, cs, ids, "+33123456789")
				err := rpc.call(cs[p], f)
				if got := connect.CodeOf(err); (err == nil && want != ok) || (err != nil && got != want) {
					t.Errorf("%s as %s: %v, want %v", rpc.name, p, err, want)
				}
			})
		}
	}
}

// phoneCommandRow: sipgate only; a call that is not in the room is NotFound.
func phoneCommandRow() map[string]connect.Code {
	row := serviceOnly(sipgate)
	row[sipgate] = connect.CodeNotFound
	return row
}

// transferRow: sipgate's, answered FailedPrecondition by a core that allows no REFER carrier.
func transferRow() map[string]connect.Code {
	row := serviceOnly(sipgate)
	row[sipgate] = connect.CodeFailedPrecondition
	return row
}

// operatorRow is the row of an operators' API: the operator service token and users with the operator role.
func operatorRow() map[string]connect.Code {
	row := serviceOnly(operator)
	row[opUser] = 0
	return row
}

// serviceOnly is the row of an API only the named service may call.
func serviceOnly(service string) map[string]connect.Code {
	row := map[string]connect.Code{anonymous: connect.CodeUnauthenticated}
	for _, p := range principals {
		if p != anonymous {
			row[p] = connect.CodePermissionDenied
		}
	}
	row[service] = 0
	return row
}
