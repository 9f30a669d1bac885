package livekit

import (
	"context"
	"fmt"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/meetline/meetline/core"
)

// EgressStorage is where egress writes recordings: the core's bucket, seen
// from the egress service.
type EgressStorage struct {
	Endpoint, AccessKey, SecretKey, Region, Bucket string
}

// StartRecording asks LiveKit egress to record room into rec's key: a
// room-composite video (mp4, speaker layout) for screen recordings, audio
// only (ogg) for transcripts. Path-style addressing works with any S3.
func (c *Client) StartRecording(ctx context.Context, rec *core.Recording) (egressID string, err error) {
	st := c.cfg.Egress
	fileType := livekit.EncodedFileType_MP4
	if rec.Mode == core.ModeTranscript {
		fileType = livekit.EncodedFileType_OGG
	}
	info, err := c.egress().StartRoomCompositeEgress(ctx, &livekit.RoomCompositeEgressRequest{
		RoomName:  rec.RoomID,
		Layout:    "speaker-light",
		AudioOnly: rec.Mode == core.ModeTranscript,
		FileOutputs: []*livekit.EncodedFileOutput{{
			FileType: fileType,
			Filepath: rec.Key(),
			Output: &livekit.EncodedFileOutput_S3{S3: &livekit.S3Upload{
				AccessKey: st.AccessKey, Secret: st.SecretKey, Region: st.Region,
				Endpoint: st.Endpoint, Bucket: st.Bucket, ForcePathStyle: true,
			}},
		}},
	})
	if err != nil {
		return "", wrap("start egress", err)
	}
	return info.EgressId, nil
}

// StopRecording stops an egress and says what became of the recording:
// stopped while it ends cleanly, aborted, or failed_to_stop.
func (c *Client) StopRecording(ctx context.Context, egressID string) (core.RecordingStatus, error) {
	info, err := c.egress().StopEgress(ctx, &livekit.StopEgressRequest{EgressId: egressID})
	if err != nil {
		return core.RecordingFailedToStop, fmt.Errorf("livekit: stop egress: %w", err)
	}
	switch info.Status {
	case livekit.EgressStatus_EGRESS_ENDING, livekit.EgressStatus_EGRESS_COMPLETE:
		return core.RecordingStopped, nil
	case livekit.EgressStatus_EGRESS_ABORTED:
		return core.RecordingAborted, nil
	}
	return core.RecordingFailedToStop, nil
}

func (c *Client) egress() *lksdk.EgressClient {
	url := c.cfg.EgressURL
	if url == "" {
		url = c.cfg.URL
	}
	return lksdk.NewEgressClient(url, c.cfg.APIKey, c.cfg.APISecret)
}
