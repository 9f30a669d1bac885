package core

import (
	"context"
	"time"
)

// LiveRooms is what the core asks of the media server (LiveKit,
// core/livekit) about rooms while people are in them. A room or participant
// the server does not have is ENOTFOUND.
type LiveRooms interface {
	// Token lets p join room; clients connect with it at PublicURL.
	Token(room *Room, p Participant) (string, error)
	PublicURL() string

	// ListRooms returns the names of the live rooms (a room's name is its id).
	ListRooms(ctx context.Context) ([]string, error)
	ListParticipants(ctx context.Context, room string) ([]LiveParticipant, error)
	// UpdateRoomMetadata replaces the metadata every client in room sees.
	UpdateRoomMetadata(ctx context.Context, room, metadata string) error
	// SendData sends data to everyone in room on the reliable data channel.
	SendData(ctx context.Context, room string, data []byte) error

	// MuteTrack mutes (or unmutes) one published track of a participant.
	MuteTrack(ctx context.Context, room, identity, trackSID string, muted bool) error
	// RemoveParticipant disconnects a participant; their token still works
	// until it expires unless what it grants changes.
	RemoveParticipant(ctx context.Context, room, identity string) error
	// DeleteRoom ends room's meeting, disconnecting everyone in it.
	DeleteRoom(ctx context.Context, room string) error
	// UpdateParticipant changes what others see of a participant.
	UpdateParticipant(ctx context.Context, room, identity string, u ParticipantUpdate) error

	// StartRecording starts the egress that writes rec to rec.Key().
	StartRecording(ctx context.Context, rec *Recording) (egressID string, err error)
	// StopRecording stops an egress and says what became of the recording.
	StopRecording(ctx context.Context, egressID string) (RecordingStatus, error)
}

// LiveParticipant is someone in a live room, as the media server sees them.
type LiveParticipant struct {
	Identity   string
	Name       string
	Metadata   string
	Attributes map[string]string
	// SIP: a phone caller brought in by LiveKit's SIP service (not counted
	// as presence on the web).
	SIP bool
	// Role is the role their token (web) or sipgate (phone) gave them.
	Role Role
	// CallID is sipgate's id of a phone caller's call, "" on the web.
	CallID string
	// Service: a participant LiveKit runs itself (a recording's egress, an
	// ingress, an agent), with no token of the core's.
	Service bool
	// Authenticated and LobbyEntry are what their web token said
	// (Participant).
	Authenticated bool
	LobbyEntry    string
	Tracks        []LiveTrack
}

// LiveTrack is a track a participant publishes.
type LiveTrack struct {
	SID   string
	Kind  string // audio, video or data
	Muted bool
}

// ParticipantUpdate says what to change of a participant; nil and empty
// fields stay as they are, and attributes set to "" are removed.
type ParticipantUpdate struct {
	Name       *string
	Metadata   *string
	Attributes map[string]string
}

// RecordingBucket is the object storage recordings are kept in (S3,
// core/storage).
type RecordingBucket interface {
	// BucketName is the bucket's name, which storage events carry.
	BucketName() string
	// PresignedGet returns a URL that downloads key without credentials
	// until ttl passes.
	PresignedGet(ctx context.Context, key string, ttl time.Duration) (string, error)
	// SignedGetHeaders returns the HTTP headers that make a GET of key
	// acceptable to the storage service (for nginx's auth_request).
	SignedGetHeaders(key string) (map[string][]string, error)
	// Remove deletes key; a key already gone is no error.
	Remove(ctx context.Context, key string) error
}
