package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/meetline/meetline/core"
)

// WebhookSettings say how LiveKit's webhooks are taken in.
type WebhookSettings struct {
	// Keys verifies the signature: LiveKit signs with its API key pair.
	Keys auth.KeyProvider
	// RoomFilter, when set, ignores rooms whose name it does not match.
	RoomFilter *regexp.Regexp
	// DedupTTL is how long an event id is remembered (LiveKit retries for minutes).
	DedupTTL time.Duration
}

// maxWebhookBody bounds a webhook: real events are a few kilobytes.
const maxWebhookBody = 1 << 20

// connectionTestPrefix marks the rooms of LiveKit's connection tests.
const connectionTestPrefix = "connection-test"

// liveKitWebhook handles POST /webhooks/livekit: LiveKit's signed events
// (a bare JWT in Authorization whose sha256 claim is the body's hash).
type liveKitWebhook struct {
	*Server
}

func (h *liveKitWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		h.webhookReply(w, "livekit", "invalid", http.StatusRequestEntityTooLarge, "body over 1 MiB")
		return
	case err != nil:
		h.webhookReply(w, "livekit", "invalid", http.StatusBadRequest, "unreadable body")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if _, err := webhook.Receive(r, h.Webhooks.Keys); err != nil {
		h.webhookReply(w, "livekit", "invalid", http.StatusUnauthorized, "signature not verified")
		return
	}
	var ev livekit.WebhookEvent
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, &ev); err != nil || ev.Event == "" {
		h.webhookReply(w, "livekit", "invalid", http.StatusBadRequest, "not a LiveKit event")
		return
	}
	status, msg := h.handle(r.Context(), &ev)
	h.webhookReply(w, "livekit", ev.Event, status, msg)
}

// handle applies one verified event, once: a redelivered id is a no-op once
// the event was applied. An id is claimed before applying (so concurrent
// redeliveries do not apply it twice) and released when applying fails.
func (h *liveKitWebhook) handle(ctx context.Context, ev *livekit.WebhookEvent) (int, string) {
	room := ev.GetRoom().GetName()
	if room == "" {
		room = ev.GetEgressInfo().GetRoomName()
	}
	if strings.HasPrefix(room, connectionTestPrefix) || (room != "" && h.Webhooks.RoomFilter != nil && !h.Webhooks.RoomFilter.MatchString(room)) {
		return http.StatusOK, "ignored"
	}
	if ev.Id != "" {
		first, err := h.Dedup.FirstSeen(ctx, "livekit:"+ev.Id, h.Webhooks.DedupTTL)
		if err != nil {
			h.Logger.Error("webhook dedupe failed", "err", err)
			return http.StatusServiceUnavailable, "try again"
		}
		if !first {
			return http.StatusOK, "duplicate"
		}
	}
	if err := h.apply(ctx, ev, room); err != nil {
		h.Logger.Error("webhook failed", "event", ev.Event, "room", room, "err", err)
		if ev.Id != "" {
			// LiveKit redelivers after the 500: the event must be new to it then.
			if ferr := h.Dedup.Forget(context.WithoutCancel(ctx), "livekit:"+ev.Id); ferr != nil {
				h.Logger.Error("webhook dedupe not undone: its redelivery will be dropped", "event", ev.Event, "err", ferr)
			}
		}
		return http.StatusInternalServerError, "failed"
	}
	return http.StatusOK, "processed"
}

// apply updates presence and the lobby. Phone participants (kind SIP) do
// not count as presence: a room with only callers has no host. A change of
// presence notifies the room's lobby watchers, so a phone caller waiting for
// the host goes in as soon as someone joins; the end of a meeting clears
// its lobby, which notifies them too.
func (h *liveKitWebhook) apply(ctx context.Context, ev *livekit.WebhookEvent, room string) error {
	web := ev.GetParticipant() != nil && ev.GetParticipant().GetKind() != livekit.ParticipantInfo_SIP
	var err error
	switch {
	case ev.Event == webhook.EventRoomStarted:
		err = h.Presence.RoomStarted(ctx, room)
	case ev.Event == webhook.EventRoomFinished:
		if err := h.Presence.RoomFinished(ctx, room); err != nil {
			return err
		}
		return h.Lobby.ClearLobby(ctx, room)
	case ev.Event == webhook.EventParticipantJoined && web:
		if err := h.checkJoin(ctx, room, ev.GetParticipant()); err != nil {
			return err
		}
		err = h.Presence.ParticipantJoined(ctx, room, ev.GetParticipant().GetIdentity())
	case ev.Event == webhook.EventParticipantLeft && web:
		err = h.Presence.ParticipantLeft(ctx, room, ev.GetParticipant().GetIdentity())
	case ev.Event == webhook.EventEgressEnded:
		return h.egressEnded(ctx, ev.GetEgressInfo())
	default:
		return nil
	}
	if err != nil {
		return err
	}
	return h.Lobby.Notify(ctx, room)
}

// checkJoin removes someone who joined with a token the room no longer
// honours: that of a deleted room (the meeting ends), or one that a tighter
// access level revoked (core.MayStay). A token outlives its revocation by at
// most LIVEKIT_TOKEN_TTL; this closes that gap for these two events.
func (h *liveKitWebhook) checkJoin(ctx context.Context, room string, info *livekit.ParticipantInfo) error {
	if uuid.Validate(room) != nil || info.GetKind() != livekit.ParticipantInfo_STANDARD {
		return nil // not a room of the core's (named by their id), or LiveKit's own participant
	}
	r, err := h.Rooms.FindRoom(ctx, room)
	switch {
	case core.Code(err) == core.ENOTFOUND:
		h.closeLive(ctx, room)
		return nil
	case err != nil:
		return err
	}
	if p := core.WebParticipant(info.GetIdentity(), info.GetAttributes()); !core.MayStay(r.AccessLevel, p) {
		if err := h.LiveKit.RemoveParticipant(ctx, room, p.Identity); err != nil && core.Code(err) != core.ENOTFOUND {
			return err // applied again on LiveKit's redelivery
		}
		h.metrics.revocations.WithLabelValues("join_refused").Inc()
	}
	return nil
}

// egressEnded finalises the recording an egress wrote: complete → saved;
// limit reached while active → stopped, and the room is told; aborted or
// failed → aborted. Transitions are compare-and-set, so a recording the
// storage webhook already saved, or a redelivered event, changes nothing.
func (h *liveKitWebhook) egressEnded(ctx context.Context, info *livekit.EgressInfo) error {
	rec, err := h.Recordings.FindRecordingByEgress(ctx, info.GetEgressId())
	if core.Code(err) == core.ENOTFOUND {
		return nil // not one of ours
	}
	if err != nil {
		return err
	}
	switch info.GetStatus() {
	case livekit.EgressStatus_EGRESS_COMPLETE:
		var saved *core.Recording
		if saved, err = h.Recordings.SetStatus(ctx, rec.ID, core.RecordingSaved, core.RecordingFrom[core.RecordingSaved]...); err == nil {
			err = h.recordingSaved(ctx, saved)
		}
	case livekit.EgressStatus_EGRESS_LIMIT_REACHED:
		if _, err = h.Recordings.SetStatus(ctx, rec.ID, core.RecordingStopped, core.RecordingActive); err == nil {
			notice := `{"type":"screenRecordingLimitReached"}`
			if rec.Mode == core.ModeTranscript {
				notice = `{"type":"transcriptionLimitReached"}`
			}
			if serr := h.LiveKit.SendData(ctx, rec.RoomID, []byte(notice)); serr != nil {
				h.Logger.Warn("limit notice not sent", "room", rec.RoomID, "err", serr)
			}
		}
	case livekit.EgressStatus_EGRESS_ABORTED, livekit.EgressStatus_EGRESS_FAILED:
		_, err = h.Recordings.SetStatus(ctx, rec.ID, core.RecordingAborted, core.RecordingFrom[core.RecordingAborted]...)
	}
	if core.Code(err) == core.EPRECONDITION {
		return nil // already finalised
	}
	return err
}
