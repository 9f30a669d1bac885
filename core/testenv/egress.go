package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/twitchtv/twirp"
	"google.golang.org/protobuf/encoding/protojson"
)

// EgressFile is what the egress stand-in writes at key: 1 KiB, the same for
// the same key.
func EgressFile(key string) []byte {
	b := bytes.Repeat([]byte(key+"\n"), 1024/(len(key)+1)+1)
	return b[:1024]
}

// EgressStandIn stands in for LiveKit egress (Chrome and GStreamer cannot
// run here) at its boundary: a server speaking the Egress Twirp API that
// accepts requests signed with apiKey/apiSecret, records room composite
// requests, and, when an egress is stopped, writes EgressFile to the
// request's S3 upload and posts egress_ended to webhookURL, signed like
// LiveKit (egress_started is posted on start). It stops when the test ends.
func EgressStandIn(t testing.TB, webhookURL, apiKey, apiSecret string) (url string, calls func() []*lkproto.RoomCompositeEgressRequest) {
	t.Helper()
	e := &egressStandIn{t: t, hook: webhookURL, key: apiKey, secret: apiSecret, byID: map[string]*lkproto.RoomCompositeEgressRequest{}}
	twirpHandler := lkproto.NewEgressServer(e)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := e.authorize(r); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		twirpHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		e.wg.Wait() // the webhooks and uploads under way
	})
	return srv.URL, func() []*lkproto.RoomCompositeEgressRequest {
		e.mu.Lock()
		defer e.mu.Unlock()
		return append([]*lkproto.RoomCompositeEgressRequest(nil), e.calls...)
	}
}

type egressStandIn struct {
	t           testing.TB
	hook        string
	key, secret string
	wg          sync.WaitGroup
	mu          sync.Mutex
	calls       []*lkproto.RoomCompositeEgressRequest
	byID        map[string]*lkproto.RoomCompositeEgressRequest
}

var errUnimplemented = twirp.NewError(twirp.Unimplemented, "not in the egress stand-in")

func (*egressStandIn) StartEgress(context.Context, *lkproto.StartEgressRequest) (*lkproto.EgressInfo, error) {
	return nil, errUnimplemented
}
func (*egressStandIn) UpdateLayout(context.Context, *lkproto.UpdateLayoutRequest) (*lkproto.EgressInfo, error) {
	return nil, errUnimplemented
}
func (*egressStandIn) UpdateStream(context.Context, *lkproto.UpdateStreamRequest) (*lkproto.EgressInfo, error) {
	return nil, errUnimplemented
}
func (*egressStandIn) ListEgress(context.Context, *lkproto.ListEgressRequest) (*lkproto.ListEgressResponse, error) {
	return nil, errUnimplemented
}
func (*egressStandIn) StartWebEgress(context.Context, *lkproto.WebEgressRequest) (*lkproto.EgressInfo, error) {
	return nil, errUnimplemented
}
func (*egressStandIn) StartParticipantEgress(context.Context, *lkproto.ParticipantEgressRequest) (*lkproto.EgressInfo, error) {
	return nil, errUnimplemented
}
func (*egressStandIn) StartTrackCompositeEgress(context.Context, *lkproto.TrackCompositeEgressRequest) (*lkproto.EgressInfo, error) {
	return nil, errUnimplemented
}
func (*egressStandIn) StartTrackEgress(context.Context, *lkproto.TrackEgressRequest) (*lkproto.EgressInfo, error) {
	return nil, errUnimplemented
}

// authorize checks the bearer token as LiveKit does: signed with our key
// pair, granting roomRecord.
func (e *egressStandIn) authorize(r *http.Request) error {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return fmt.Errorf("no bearer token")
	}
	v, err := auth.ParseAPIToken(tok)
	if err != nil {
		return err
	}
	if v.APIKey() != e.key {
		return fmt.Errorf("unknown API key")
	}
	_, grants, err := v.Verify(e.secret)
	if err != nil {
		return err
	}
	if grants.Video == nil || !grants.Video.RoomRecord {
		return fmt.Errorf("no roomRecord grant")
	}
	return nil
}

func (e *egressStandIn) StartRoomCompositeEgress(_ context.Context, req *lkproto.RoomCompositeEgressRequest) (*lkproto.EgressInfo, error) {
	id := "EG_" + rand.Text()[:12]
	e.mu.Lock()
	e.calls = append(e.calls, req)
	e.byID[id] = req
	e.mu.Unlock()
	info := &lkproto.EgressInfo{EgressId: id, RoomName: req.RoomName, Status: lkproto.EgressStatus_EGRESS_ACTIVE,
		StartedAt: time.Now().UnixNano()}
	e.async(func() { e.post("egress_started", info) })
	return info, nil
}

func (e *egressStandIn) StopEgress(_ context.Context, req *lkproto.StopEgressRequest) (*lkproto.EgressInfo, error) {
	e.mu.Lock()
	start, ok := e.byID[req.EgressId]
	delete(e.byID, req.EgressId)
	e.mu.Unlock()
	if !ok {
		return nil, twirp.NotFoundError("egress not found")
	}
	info := &lkproto.EgressInfo{EgressId: req.EgressId, RoomName: start.RoomName, Status: lkproto.EgressStatus_EGRESS_ENDING}
	e.async(func() {
		ended := &lkproto.EgressInfo{EgressId: req.EgressId, RoomName: start.RoomName, Status: lkproto.EgressStatus_EGRESS_COMPLETE,
			EndedAt: time.Now().UnixNano()}
		for _, out := range start.FileOutputs {
			size, err := e.upload(out)
			if err != nil {
				e.t.Errorf("egress stand-in: %v", err)
				ended.Status, ended.Error = lkproto.EgressStatus_EGRESS_FAILED, err.Error()
				break
			}
			ended.FileResults = append(ended.FileResults, &lkproto.FileInfo{Filename: out.Filepath, Size: size})
		}
		e.post("egress_ended", ended)
	})
	return info, nil
}

func (e *egressStandIn) async(f func()) {
	e.wg.Go(f)
}

// upload writes EgressFile at the output's key, as egress would at the end.
func (e *egressStandIn) upload(out *lkproto.EncodedFileOutput) (int64, error) {
	s3 := out.GetS3()
	if s3 == nil {
		return 0, fmt.Errorf("file output without S3 upload")
	}
	u, err := url.Parse(s3.Endpoint)
	if err != nil {
		return 0, err
	}
	lookup := minio.BucketLookupAuto
	if s3.ForcePathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(s3.AccessKey, s3.Secret, ""),
		Secure: u.Scheme == "https", Region: s3.Region, BucketLookup: lookup})
	if err != nil {
		return 0, err
	}
	contentType := "video/mp4"
	if out.FileType == lkproto.EncodedFileType_OGG {
		contentType = "audio/ogg"
	}
	body := EgressFile(out.Filepath)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.PutObject(ctx, s3.Bucket, out.Filepath, bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{ContentType: contentType})
	return int64(len(body)), err
}

// post sends a webhook signed like LiveKit's: a bare JWT whose sha256
// claim is the body's hash.
func (e *egressStandIn) post(event string, info *lkproto.EgressInfo) {
	body, err := protojson.Marshal(&lkproto.WebhookEvent{Id: "EV_" + rand.Text()[:12], Event: event, EgressInfo: info,
		CreatedAt: time.Now().Unix()})
	if err != nil {
		e.t.Errorf("egress stand-in: %v", err)
		return
	}
	sum := sha256.Sum256(body)
	tok, err := auth.NewAccessToken(e.key, e.secret).SetValidFor(time.Minute).
		SetSha256(base64.StdEncoding.EncodeToString(sum[:])).ToJWT()
	if err != nil {
		e.t.Errorf("egress stand-in: %v", err)
		return
	}
	req, _ := http.NewRequest("POST", e.hook, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/webhook+json")
	req.Header.Set("Authorization", tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Errorf("egress stand-in: %s webhook: %v", event, err)
		return
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		e.t.Errorf("egress stand-in: %s webhook: %s", event, res.Status)
	}
}
