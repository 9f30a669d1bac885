package api

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meetline/meetline/core"
	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
)

// RecorderSettings say how recordings are made and fetched.
type RecorderSettings struct {
	// StartTimeout bounds the wait for LiveKit egress to start a recording.
	StartTimeout time.Duration
	// DownloadTTL is how long a download link lasts.
	DownloadTTL time.Duration
	// WebhookToken authenticates the storage webhook.
	WebhookToken string
}

// recordingService implements meetline.v1.RecordingService.
type recordingService struct {
	*Server
}

var recordingModes = map[core.RecordingMode]meetlinev1.RecordingMode{
	core.ModeScreenRecording: meetlinev1.RecordingMode_RECORDING_MODE_SCREEN_RECORDING,
	core.ModeTranscript:      meetlinev1.RecordingMode_RECORDING_MODE_TRANSCRIPT,
}

var recordingStatuses = map[core.RecordingStatus]meetlinev1.RecordingStatus{
	core.RecordingInitiated:             meetlinev1.RecordingStatus_RECORDING_STATUS_INITIATED,
	core.RecordingActive:                meetlinev1.RecordingStatus_RECORDING_STATUS_ACTIVE,
	core.RecordingStopped:               meetlinev1.RecordingStatus_RECORDING_STATUS_STOPPED,
	core.RecordingSaved:                 meetlinev1.RecordingStatus_RECORDING_STATUS_SAVED,
	core.RecordingAborted:               meetlinev1.RecordingStatus_RECORDING_STATUS_ABORTED,
	core.RecordingFailedToStart:         meetlinev1.RecordingStatus_RECORDING_STATUS_FAILED_TO_START,
	core.RecordingFailedToStop:          meetlinev1.RecordingStatus_RECORDING_STATUS_FAILED_TO_STOP,
	core.RecordingNotificationSucceeded: meetlinev1.RecordingStatus_RECORDING_STATUS_NOTIFICATION_SUCCEEDED,
	core.RecordingExternalSucceeded:     meetlinev1.RecordingStatus_RECORDING_STATUS_EXTERNAL_PROCESS_SUCCESSFUL,
	core.RecordingExternalFailed:        meetlinev1.RecordingStatus_RECORDING_STATUS_EXTERNAL_PROCESS_FAILED,
}

// StartRecording creates the recording first (the partial unique index
// decides between concurrent starts), then asks LiveKit egress; a refusal or
// a timeout leaves it failed_to_start and answers Unavailable.
func (s *recordingService) StartRecording(ctx context.Context, req *meetlinev1.StartRecordingRequest) (*meetlinev1.StartRecordingResponse, error) {
	mode, err := s.recordingMode(req.Mode)
	if err != nil {
		return nil, err
	}
	if req.GetOptions().GetTranscribe() && !s.Recording.TranscriptionEnabled {
		return nil, core.Errorf(core.EPRECONDITION, "transcripts are not enabled on this deployment")
	}
	room, err := s.adminOf(ctx, req.RoomId)
	if err != nil {
		return nil, err
	}
	rec := &core.Recording{RoomID: room.ID, Mode: mode, Options: core.RecordingOptions{
		Language: req.GetOptions().GetLanguage(), Transcribe: req.GetOptions().GetTranscribe()}}
	if u := core.CallerFrom(ctx).User; u != nil {
		rec.StartedBy = u.ID
	}
	if err := s.Recordings.CreateRecording(ctx, rec); err != nil {
		return nil, err
	}
	ectx, cancel := context.WithTimeout(ctx, s.Recorder.StartTimeout)
	egressID, err := s.LiveKit.StartRecording(ectx, rec)
	cancel()
	if err != nil {
		s.Logger.Warn("recording did not start", "recording", rec.ID, "err", err)
		if _, serr := s.Recordings.SetStatus(ctx, rec.ID, core.RecordingFailedToStart, core.RecordingFrom[core.RecordingFailedToStart]...); serr != nil {
			return nil, serr
		}
		if core.Code(err) == core.ENOTFOUND {
			return nil, core.Errorf(core.EPRECONDITION, "nobody is in the meeting: there is nothing to record")
		}
		return nil, core.Errorf(core.EUNAVAILABLE, "the recorder could not start; try again later")
	}
	if err := s.Recordings.SetEgress(ctx, rec.ID, egressID); err != nil {
		return nil, err
	}
	if rec, err = s.Recordings.SetStatus(ctx, rec.ID, core.RecordingActive, core.RecordingFrom[core.RecordingActive]...); err != nil {
		return nil, err
	}
	if err := s.pushMetadata(ctx, room, rec); err != nil {
		s.Logger.Warn("room metadata not updated", "room", room.ID, "err", err)
	}
	r, err := s.recordingView(ctx, rec, room)
	return &meetlinev1.StartRecordingResponse{Recording: r}, err
}

// recordingMode checks the requested mode against what the deployment offers.
func (s *recordingService) recordingMode(m meetlinev1.RecordingMode) (core.RecordingMode, error) {
	if !s.Recording.Enabled {
		return "", core.Errorf(core.EPRECONDITION, "recording is not enabled on this deployment")
	}
	for d, p := range recordingModes {
		if p == m {
			if d == core.ModeTranscript && !s.Recording.TranscriptionEnabled {
				return "", core.Errorf(core.EPRECONDITION, "transcripts are not enabled on this deployment")
			}
			return d, nil
		}
	}
	return "", core.Invalid("mode", "must be screen_recording or transcript")
}

// StopRecording stops the room's live recording: ENDING → stopped,
// ABORTED → aborted, anything else (or no answer) → failed_to_stop.
func (s *recordingService) StopRecording(ctx context.Context, req *meetlinev1.StopRecordingRequest) (*meetlinev1.StopRecordingResponse, error) {
	room, err := s.adminOf(ctx, req.RoomId)
	if err != nil {
		return nil, err
	}
	rec, err := s.Recordings.FindLiveRecording(ctx, room.ID)
	if err != nil {
		return nil, err
	}
	status, stopErr := s.LiveKit.StopRecording(ctx, rec.EgressID)
	if stopErr != nil {
		s.Logger.Warn("recording did not stop", "recording", rec.ID, "err", stopErr)
	}
	// A finaliser may have saved it meanwhile (the file was written as the
	// egress ended): the recording is then past "stopped", which is no error.
	if cur, err := s.Recordings.SetStatus(ctx, rec.ID, status, core.RecordingFrom[status]...); err == nil || (core.Code(err) == core.EPRECONDITION && cur != nil && !cur.Status.Live()) {
		rec = cur
	} else {
		return nil, err
	}
	if err := s.pushMetadata(ctx, room, rec); err != nil {
		s.Logger.Warn("room metadata not updated", "room", room.ID, "err", err)
	}
	if stopErr != nil {
		return nil, core.Errorf(core.EUNAVAILABLE, "the recorder did not confirm the stop")
	}
	r, err := s.recordingView(ctx, rec, room)
	return &meetlinev1.StopRecordingResponse{Recording: r}, err
}

func (s *recordingService) ListRecordings(ctx context.Context, req *meetlinev1.ListRecordingsRequest) (*meetlinev1.ListRecordingsResponse, error) {
	if req.PageSize < 0 || req.PageSize > 100 {
		return nil, core.Invalid("page_size", "must be from 0 to 100")
	}
	recs, next, err := s.Recordings.FindRecordings(ctx, core.CallerFrom(ctx).User.ID, core.Page{Size: int(req.PageSize), Token: req.PageToken})
	if err != nil {
		return nil, err
	}
	res := &meetlinev1.ListRecordingsResponse{NextPageToken: next}
	for _, rec := range recs {
		room, err := s.Rooms.FindRoom(ctx, rec.RoomID)
		if err != nil {
			return nil, err
		}
		r, err := s.recordingView(ctx, rec, room)
		if err != nil {
			return nil, err
		}
		res.Recordings = append(res.Recordings, r)
	}
	return res, nil
}

func (s *recordingService) GetRecording(ctx context.Context, req *meetlinev1.GetRecordingRequest) (*meetlinev1.GetRecordingResponse, error) {
	rec, room, err := s.recordingFor(ctx, req.Id, false)
	if err != nil {
		return nil, err
	}
	r, err := s.recordingView(ctx, rec, room)
	return &meetlinev1.GetRecordingResponse{Recording: r}, err
}

// DeleteRecording removes a finished recording and its file; one under way
// must be stopped first.
func (s *recordingService) DeleteRecording(ctx context.Context, req *meetlinev1.DeleteRecordingRequest) (*meetlinev1.DeleteRecordingResponse, error) {
	rec, _, err := s.recordingFor(ctx, req.Id, false)
	if err != nil {
		return nil, err
	}
	if !rec.Status.Final() && !rec.Status.Saved() {
		return nil, core.Errorf(core.EPRECONDITION, "the recording is %s: stop it first", rec.Status)
	}
	if err := s.Bucket.Remove(ctx, rec.Key()); err != nil {
		return nil, err
	}
	return &meetlinev1.DeleteRecordingResponse{}, s.Recordings.DeleteRecording(ctx, rec.ID)
}

// GetDownloadUrl presigns a GET of a saved, unexpired recording's file.
func (s *recordingService) GetDownloadUrl(ctx context.Context, req *meetlinev1.GetDownloadUrlRequest) (*meetlinev1.GetDownloadUrlResponse, error) {
	rec, _, err := s.recordingFor(ctx, req.Id, false)
	if err != nil {
		return nil, err
	}
	if !rec.Status.Saved() {
		return nil, core.Errorf(core.EPRECONDITION, "the recording is %s: there is no file to download yet", rec.Status)
	}
	if s.expired(rec) {
		return nil, core.Errorf(core.EPRECONDITION, "the recording expired")
	}
	u, err := s.Bucket.PresignedGet(ctx, rec.Key(), s.Recorder.DownloadTTL)
	if err != nil {
		return nil, err
	}
	return &meetlinev1.GetDownloadUrlResponse{Url: u, ExpireTime: timestamppb.New(time.Now().Add(s.Recorder.DownloadTTL))}, nil
}

func (s *recordingService) SetPermanent(ctx context.Context, req *meetlinev1.SetPermanentRequest) (*meetlinev1.SetPermanentResponse, error) {
	rec, room, err := s.recordingFor(ctx, req.Id, true)
	if err != nil {
		return nil, err
	}
	if rec, err = s.Recordings.SetPermanent(ctx, rec.ID, req.Permanent); err != nil {
		return nil, err
	}
	r, err := s.recordingView(ctx, rec, room)
	return &meetlinev1.SetPermanentResponse{Recording: r}, err
}

// adminOf returns the room if the caller administers it.
func (s *recordingService) adminOf(ctx context.Context, roomID string) (*core.Room, error) {
	if _, err := s.requireRole(ctx, roomID, core.RoleAdministrator); err != nil {
		return nil, err
	}
	return s.Rooms.FindRoom(ctx, roomID)
}

// recordingFor loads a recording and its room for a caller who may read it
// (core.Recording.Readable), or, with ownerOnly, who owns its room. Others
// in the room are refused; strangers learn nothing (not found).
func (s *recordingService) recordingFor(ctx context.Context, id string, ownerOnly bool) (*core.Recording, *core.Room, error) {
	if id == "" {
		return nil, nil, core.Invalid("id", "must be a recording id")
	}
	rec, err := s.Recordings.FindRecording(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	role, err := s.callerRole(ctx, rec.RoomID)
	if err != nil {
		return nil, nil, err
	}
	var user string
	if u := core.CallerFrom(ctx).User; u != nil {
		user = u.ID
	}
	switch {
	case role == core.RoleNone && user != rec.StartedBy || user == "":
		return nil, nil, core.Errorf(core.ENOTFOUND, "recording not found")
	case ownerOnly && role != core.RoleOwner:
		return nil, nil, core.Errorf(core.EFORBIDDEN, "this needs the owner role in the room")
	case !rec.Readable(user, role):
		return nil, nil, core.Errorf(core.EFORBIDDEN, "a recording is for whoever started it and the room's owners")
	}
	room, err := s.Rooms.FindRoom(ctx, rec.RoomID)
	return rec, room, err
}

func (s *Server) recordingView(ctx context.Context, rec *core.Recording, room *core.Room) (*meetlinev1.Recording, error) {
	r := &meetlinev1.Recording{
		Id:         rec.ID,
		Room:       &meetlinev1.RecordingRoom{Id: room.ID, Name: room.Name, Slug: room.Slug, AccessLevel: accessLevels[room.AccessLevel]},
		Status:     recordingStatuses[rec.Status],
		Mode:       recordingModes[rec.Mode],
		Options:    &meetlinev1.RecordingOptions{Language: rec.Options.Language, Transcribe: rec.Options.Transcribe},
		Key:        rec.Key(),
		CreateTime: timestamppb.New(rec.CreatedAt),
		UpdateTime: timestamppb.New(rec.UpdatedAt),
		Permanent:  rec.Permanent,
		StartedBy:  rec.StartedBy,
	}
	if at, ok := rec.ExpiresAt(s.Recording.ExpirationDays); ok {
		r.ExpireTime, r.IsExpired = timestamppb.New(at), time.Now().After(at)
	}
	if !rec.ExpiredAt.IsZero() { // its file is gone, whatever the setting says now
		r.IsExpired = true
	}
	if rec.Status.Saved() && !r.IsExpired {
		u, err := s.Bucket.PresignedGet(ctx, rec.Key(), s.Recorder.DownloadTTL)
		if err != nil {
			return nil, err
		}
		r.DownloadUrl = u
	}
	return r, nil
}
