package api

import (
	"encoding/json"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

var accessLevels = map[core.AccessLevel]meetlinev1.AccessLevel{
	core.AccessPublic:     meetlinev1.AccessLevel_ACCESS_LEVEL_PUBLIC,
	core.AccessTrusted:    meetlinev1.AccessLevel_ACCESS_LEVEL_TRUSTED,
	core.AccessRestricted: meetlinev1.AccessLevel_ACCESS_LEVEL_RESTRICTED,
}

var roles = map[core.Role]meetlinev1.Role{
	core.RoleMember:        meetlinev1.Role_ROLE_MEMBER,
	core.RoleAdministrator: meetlinev1.Role_ROLE_ADMINISTRATOR,
	core.RoleOwner:         meetlinev1.Role_ROLE_OWNER,
}

// accessLevelFromProto maps an enum to the domain; UNSPECIFIED and unknown
// values are EINVALID naming field.
func accessLevelFromProto(field string, l meetlinev1.AccessLevel) (core.AccessLevel, error) {
	for d, p := range accessLevels {
		if p == l {
			return d, nil
		}
	}
	return "", core.Invalid(field, "must be public, trusted or restricted")
}

func roleFromProto(field string, r meetlinev1.Role) (core.Role, error) {
	for d, p := range roles {
		if p == r {
			return d, nil
		}
	}
	return "", core.Invalid(field, "must be member, administrator or owner")
}

// configurationFromProto turns a Struct into JSON checked against the
// room configuration's schema; nil stays nil ("unchanged").
func configurationFromProto(s *structpb.Struct) (json.RawMessage, error) {
	if s == nil {
		return nil, nil
	}
	b, err := s.MarshalJSON()
	if err != nil {
		return nil, core.Invalid("configuration", "cannot be encoded: %v", err)
	}
	return b, core.ValidateRoomConfiguration(b)
}

func configurationToProto(raw json.RawMessage) *structpb.Struct {
	s := &structpb.Struct{}
	if len(raw) == 0 || s.UnmarshalJSON(raw) != nil {
		return &structpb.Struct{}
	}
	return s
}

// userToProto shows u with the access level their rooms get by default:
// their own choice, or the deployment's.
func userToProto(u *core.User, defaultLevel core.AccessLevel) *meetlinev1.User {
	return &meetlinev1.User{
		Id:                     u.ID,
		Sub:                    u.Sub,
		Email:                  u.Email,
		FullName:               u.FullName,
		ShortName:              u.ShortName,
		Language:               u.Language,
		Timezone:               u.TimeZone,
		DefaultRoomAccessLevel: accessLevels[defaultLevel],
		Operator:               u.Operator,
		MarketingConsent:       u.MarketingConsent,
	}
}

func accessToProto(a *core.RoomAccess) *meetlinev1.RoomAccess {
	return &meetlinev1.RoomAccess{
		Id:            a.ID,
		UserId:        a.UserID,
		UserFullName:  a.UserFullName,
		UserShortName: a.UserShortName,
		Role:          roles[a.Role],
	}
}

func trunkToProto(t *core.Trunk) *meetlinev1.Trunk {
	numbers := make([]string, len(t.Numbers))
	for i, n := range t.Numbers {
		numbers[i] = string(n)
	}
	return &meetlinev1.Trunk{
		Id:         t.ID,
		Name:       t.Name,
		Numbers:    numbers,
		PinLength:  int32(t.PINLength),
		Language:   t.Language,
		Enabled:    t.Enabled,
		RoomCount:  t.RoomCount,
		CreateTime: timestamppb.New(t.CreatedAt),
		UpdateTime: timestamppb.New(t.UpdatedAt),
	}
}

// dialInNumber describes one trunk number; with a PIN it also carries the
// one-tap tel: URI: two pauses (",", as dialers read it) for the prompt,
// then the PIN and "#", which RFC 3966 §3 requires escaped as %23.
func dialInNumber(n core.PhoneNumber, language, pin string) *meetlinev1.DialInNumber {
	display, region := describe(n)
	d := &meetlinev1.DialInNumber{E164: string(n), Display: display, Region: region, Language: language}
	if pin != "" {
		d.TelUri = "tel:" + string(n) + ",," + pin + "%23"
	}
	return d
}
