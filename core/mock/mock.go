// Package mock implements core's interfaces with function fields, after WTF
// Dial's mock package: a test sets the functions it expects to be called,
// and a call to one it did not set panics, naming a call the test did not
// foresee. Tests of the API's rules use them where LiveKit or S3 would only
// be in the way; the adapters' own tests and the end-to-end tests use the
// real services.
package mock

import (
	"context"
	"time"

	"github.com/meetline/meetline/core"
)

var (
	_ core.LiveRooms       = (*LiveRooms)(nil)
	_ core.RecordingBucket = (*RecordingBucket)(nil)
	_ core.TransferRoutes  = (*TransferRoutes)(nil)
)

// LiveRooms is a core.LiveRooms.
type LiveRooms struct {
	TokenFn              func(room *core.Room, p core.Participant) (string, error)
	PublicURLFn          func() string
	ListRoomsFn          func(ctx context.Context) ([]string, error)
	ListParticipantsFn   func(ctx context.Context, room string) ([]core.LiveParticipant, error)
	UpdateRoomMetadataFn func(ctx context.Context, room, metadata string) error
	SendDataFn           func(ctx context.Context, room string, data []byte) error
	MuteTrackFn          func(ctx context.Context, room, identity, trackSID string, muted bool) error
	RemoveParticipantFn  func(ctx context.Context, room, identity string) error
	UpdateParticipantFn  func(ctx context.Context, room, identity string, u core.ParticipantUpdate) error
	DeleteRoomFn         func(ctx context.Context, room string) error
	StartRecordingFn     func(ctx context.Context, rec *core.Recording) (string, error)
	StopRecordingFn      func(ctx context.Context, egressID string) (core.RecordingStatus, error)
}

func (m *LiveRooms) Token(room *core.Room, p core.Participant) (string, error) {
	return m.TokenFn(room, p)
}

func (m *LiveRooms) PublicURL() string { return m.PublicURLFn() }

func (m *LiveRooms) ListRooms(ctx context.Context) ([]string, error) { return m.ListRoomsFn(ctx) }

func (m *LiveRooms) ListParticipants(ctx context.Context, room string) ([]core.LiveParticipant, error) {
	return m.ListParticipantsFn(ctx, room)
}

func (m *LiveRooms) UpdateRoomMetadata(ctx context.Context, room, metadata string) error {
	return m.UpdateRoomMetadataFn(ctx, room, metadata)
}

func (m *LiveRooms) SendData(ctx context.Context, room string, data []byte) error {
	return m.SendDataFn(ctx, room, data)
}

func (m *LiveRooms) MuteTrack(ctx context.Context, room, identity, trackSID string, muted bool) error {
	return m.MuteTrackFn(ctx, room, identity, trackSID, muted)
}

func (m *LiveRooms) RemoveParticipant(ctx context.Context, room, identity string) error {
	return m.RemoveParticipantFn(ctx, room, identity)
}

func (m *LiveRooms) UpdateParticipant(ctx context.Context, room, identity string, u core.ParticipantUpdate) error {
	return m.UpdateParticipantFn(ctx, room, identity, u)
}

func (m *LiveRooms) DeleteRoom(ctx context.Context, room string) error {
	return m.DeleteRoomFn(ctx, room)
}

func (m *LiveRooms) StartRecording(ctx context.Context, rec *core.Recording) (string, error) {
	return m.StartRecordingFn(ctx, rec)
}

func (m *LiveRooms) StopRecording(ctx context.Context, egressID string) (core.RecordingStatus, error) {
	return m.StopRecordingFn(ctx, egressID)
}

// RecordingBucket is a core.RecordingBucket.
type RecordingBucket struct {
	BucketNameFn       func() string
	PresignedGetFn     func(ctx context.Context, key string, ttl time.Duration) (string, error)
	SignedGetHeadersFn func(key string) (map[string][]string, error)
	RemoveFn           func(ctx context.Context, key string) error
}

func (m *RecordingBucket) BucketName() string { return m.BucketNameFn() }

func (m *RecordingBucket) PresignedGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	return m.PresignedGetFn(ctx, key, ttl)
}

func (m *RecordingBucket) SignedGetHeaders(key string) (map[string][]string, error) {
	return m.SignedGetHeadersFn(key)
}

func (m *RecordingBucket) Remove(ctx context.Context, key string) error { return m.RemoveFn(ctx, key) }

// TransferRoutes is a core.TransferRoutes.
type TransferRoutes struct {
	OpenFn  func(ctx context.Context, g core.TransferGuest) (core.Transfer, error)
	CloseFn func(ctx context.Context, target string) error
}

func (m *TransferRoutes) Open(ctx context.Context, g core.TransferGuest) (core.Transfer, error) {
	return m.OpenFn(ctx, g)
}

func (m *TransferRoutes) Close(ctx context.Context, target string) error {
	return m.CloseFn(ctx, target)
}
