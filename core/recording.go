package core

import (
	"context"
	"time"
)

// RecordingMode is what a recording keeps.
type RecordingMode string

const (
	ModeScreenRecording RecordingMode = "screen_recording" // the room's video, as mp4
	ModeTranscript      RecordingMode = "transcript"       // its audio only, as ogg, for a transcript
)

// Valid reports whether m is a known mode.
func (m RecordingMode) Valid() bool { return m == ModeScreenRecording || m == ModeTranscript }

// Extension is the file extension of the mode's output.
func (m RecordingMode) Extension() string {
	if m == ModeTranscript {
		return "ogg"
	}
	return "mp4"
}

// ContentType is the media type of the mode's output.
func (m RecordingMode) ContentType() string {
	if m == ModeTranscript {
		return "audio/ogg"
	}
	return "video/mp4"
}

// RecordingStatus is where a recording stands:
//
//	initiated → active → stopped | aborted | failed_to_stop
//	active | stopped → saved → notification_succeeded
//	initiated → failed_to_start
//	saved | notification_succeeded → external_process_successful | external_process_failed (transcripts)
type RecordingStatus string

const (
	RecordingInitiated             RecordingStatus = "initiated"
	RecordingActive                RecordingStatus = "active"
	RecordingStopped               RecordingStatus = "stopped"
	RecordingSaved                 RecordingStatus = "saved"
	RecordingAborted               RecordingStatus = "aborted"
	RecordingFailedToStart         RecordingStatus = "failed_to_start"
	RecordingFailedToStop          RecordingStatus = "failed_to_stop"
	RecordingNotificationSucceeded RecordingStatus = "notification_succeeded"
	// A transcript's summary, made by the external summary service.
	RecordingExternalSucceeded RecordingStatus = "external_process_successful"
	RecordingExternalFailed    RecordingStatus = "external_process_failed"
)

// Final reports whether nothing more will happen to the recording's media:
// it may be deleted. (notification_succeeded is not final in Meet's model,
// and neither is it here: it follows saved.)
func (s RecordingStatus) Final() bool {
	switch s {
	case RecordingStopped, RecordingSaved, RecordingAborted, RecordingFailedToStart, RecordingFailedToStop,
		RecordingExternalSucceeded, RecordingExternalFailed:
		return true
	}
	return false
}

// Savable reports whether the object the recording wrote may now be taken as its file.
func (s RecordingStatus) Savable() bool { return s == RecordingActive || s == RecordingStopped }

// Saved reports whether the recording's file is in the bucket.
func (s RecordingStatus) Saved() bool {
	switch s {
	case RecordingSaved, RecordingNotificationSucceeded, RecordingExternalSucceeded, RecordingExternalFailed:
		return true
	}
	return false
}

// Live reports whether the recording is under way: one per room at a time.
func (s RecordingStatus) Live() bool { return s == RecordingInitiated || s == RecordingActive }

// RecordingFrom is the recording state machine: the statuses each status may
// be reached from. Every change goes through it (RecordingService.SetStatus
// refuses any other), so a redelivered or late event cannot move a
// recording backwards.
var RecordingFrom = map[RecordingStatus][]RecordingStatus{
	RecordingActive:                {RecordingInitiated},
	RecordingFailedToStart:         {RecordingInitiated},
	RecordingStopped:               {RecordingInitiated, RecordingActive},
	RecordingAborted:               {RecordingInitiated, RecordingActive},
	RecordingFailedToStop:          {RecordingInitiated, RecordingActive},
	RecordingSaved:                 {RecordingActive, RecordingStopped},
	RecordingNotificationSucceeded: {RecordingSaved},
	RecordingExternalSucceeded:     {RecordingSaved, RecordingNotificationSucceeded},
	RecordingExternalFailed:        {RecordingSaved, RecordingNotificationSucceeded},
}

// RecordingOptions are what the person who started it asked for.
type RecordingOptions struct {
	Language string `json:"language,omitempty"`
	// Transcribe asks for a screen recording's speech to be summarised too,
	// as a transcript's always is (Summarised).
	Transcribe bool `json:"transcribe,omitempty"`
}

// Recording is one recording of a room.
type Recording struct {
	ID       string
	RoomID   string
	Mode     RecordingMode
	Status   RecordingStatus
	Options  RecordingOptions
	EgressID string
	// StartedBy is the user who started the recording ("" for a service,
	// or one since deleted).
	StartedBy string
	Permanent bool
	// ExpiredAt is when the core deleted the recording's file because it
	// expired; zero while the file is kept.
	ExpiredAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Readable reports whether user, with role in the recording's room, may
// see, download and delete the recording. As in Meet, a recording is its
// starter's; the room's owners see their rooms' recordings too (they are
// told of each). Other people in the room, administrators included, may not.
func (r *Recording) Readable(user string, role Role) bool {
	return role == RoleOwner || (user != "" && user == r.StartedBy)
}

// RecordingFolder is where recordings are kept in the bucket.
const RecordingFolder = "recordings"

// KindObjectDeletion is the outbox kind of a recording file to delete from
// the bucket (its key in Text): DeleteRoom queues one per file in the
// transaction that deletes the room, and the outbox worker retries each
// until the bucket says it is gone.
const KindObjectDeletion = "object_deletion"

// ObjectDeletion is the outbox job that deletes key from the bucket. The
// outbox wants a recipient address: this one is reserved (RFC 2606), and
// the worker routes the kind to the bucket, never to SMTP.
func ObjectDeletion(key string) *Message {
	return &Message{Kind: KindObjectDeletion, To: "bucket@meetline.invalid", Subject: "delete " + key, Text: key}
}

// Key is the recording's object key: recordings/<id>.<ext>.
func (r *Recording) Key() string { return RecordingFolder + "/" + r.ID + "." + r.Mode.Extension() }

// ExpiresAt is when the recording expires: days after its creation, unless
// it is permanent or days is 0 (ok false: it never expires).
func (r *Recording) ExpiresAt(days int) (at time.Time, ok bool) {
	if r.Permanent || days <= 0 {
		return time.Time{}, false
	}
	return r.CreatedAt.AddDate(0, 0, days), true
}

// RecordingService stores recordings. It keeps the invariant that a room has
// at most one live recording (ECONFLICT for the others).
type RecordingService interface {
	CreateRecording(ctx context.Context, r *Recording) error
	FindRecording(ctx context.Context, id string) (*Recording, error)
	// FindRecordingByEgress finds the recording an egress writes.
	FindRecordingByEgress(ctx context.Context, egressID string) (*Recording, error)
	// FindLiveRecording returns the room's initiated or active recording.
	FindLiveRecording(ctx context.Context, room string) (*Recording, error)
	// FindRecordings lists the recordings user may read (Readable): those
	// they started and those of the rooms they own, newest first.
	FindRecordings(ctx context.Context, user string, page Page) ([]*Recording, string, error)
	// SetStatus moves the recording to status if it is in one of from
	// (EPRECONDITION otherwise), so concurrent finalisers act once.
	SetStatus(ctx context.Context, id string, status RecordingStatus, from ...RecordingStatus) (*Recording, error)
	SetEgress(ctx context.Context, id, egressID string) error
	// SetPermanent keeps a recording past its expiry, or not; an expired
	// one has no file left to keep (EPRECONDITION).
	SetPermanent(ctx context.Context, id string, permanent bool) (*Recording, error)
	DeleteRecording(ctx context.Context, id string) error
	// ExpireRecordings is one expiry pass, run by the replica that leads:
	// it takes the deployment's expiry lock (Leader false, nothing done,
	// when another replica holds it), then for each recording created
	// before cutoff that is neither permanent, live nor expired (limit at
	// most) calls remove, and marks it expired once remove succeeded. One
	// whose remove fails stays as it was, for the next pass. Setting a
	// recording permanent waits for the pass, so a file is never deleted
	// under a recording made permanent meanwhile.
	ExpireRecordings(ctx context.Context, cutoff time.Time, limit int, remove func(context.Context, *Recording) error) (ExpiryPass, error)
}

// ExpiryPass is what one expiry pass did.
type ExpiryPass struct {
	Leader  bool // this replica held the expiry lock
	Expired int  // recordings whose file was deleted
	Failed  int  // recordings whose file could not be deleted
}

// Summarised reports whether the saved recording goes to the summary
// service: every transcript, and a screen recording its starter asked to
// transcribe (Meet's "record and transcribe").
func (r *Recording) Summarised() bool { return r.Mode == ModeTranscript || r.Options.Transcribe }

// KindSummaryRequest is the outbox kind that hands a saved recording to the
// summary service; the payload (Text) is a SummaryRequest as JSON.
const KindSummaryRequest = "summary_request"

// SummaryRequest is what the summary service receives: where to fetch the
// recording, and where to say it is done.
type SummaryRequest struct {
	RecordingID string `json:"recording_id"`
	RoomName    string `json:"room_name"`
	Language    string `json:"language,omitempty"`
	DownloadURL string `json:"download_url"`
	CallbackURL string `json:"callback_url"`
	OwnerEmail  string `json:"owner_email"`
}
