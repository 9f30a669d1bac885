package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/meetline/meetline/core/api"

	meetlinev1 "github.com/meetline/meetline/rpc/meetline/v1"
	"github.com/meetline/meetline/rpc/meetline/v1/meetlinev1connect"
)

// TestRequestSizeLimits sends, without a token, messages too large for any
// real RPC: Connect reads and decompresses a unary message before any
// interceptor runs, so each must be refused with ResourceExhausted before it
// reaches authentication or Postgres. A message of a normal size still
// reaches the handler, compressed or not, over Connect and gRPC.
func TestRequestSizeLimits(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		hc   *http.Client
		opts []connect.ClientOption
		room string
		want connect.Code
	}{
		{"plain 16 MiB", as(""), nil, strings.Repeat("a", 16<<20), connect.CodeResourceExhausted},
		{"just over the limit", as(""), nil, strings.Repeat("a", api.MaxMessageBytes), connect.CodeResourceExhausted},
		{"normal", as(""), nil, "no-such-room", connect.CodeNotFound},
		{"normal, gzip", as(""), []connect.ClientOption{connect.WithSendGzip()}, "no-such-room" + strings.Repeat("a", 4096), connect.CodeNotFound},
		{"normal, gRPC", h2c(), []connect.ClientOption{connect.WithGRPC()}, "no-such-room", connect.CodeNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rooms := meetlinev1connect.NewRoomServiceClient(tt.hc, s.url, tt.opts...)
			_, err := rooms.GetRoom(ctx, &meetlinev1.GetRoomRequest{Room: tt.room})
			if got := connect.CodeOf(err); got != tt.want {
				t.Fatalf("GetRoom(%d bytes) = %v, want %v", len(tt.room), err, tt.want)
			}
		})
	}
}

// TestCompressionBomb posts a GetRoom whose 32 KiB of gzip expand to 32 MiB,
// without a token, over Connect and gRPC: it is refused at the limit, not
// decompressed and queried.
func TestCompressionBomb(t *testing.T) {
	s := newStack(t)
	bomb := gzipped(t, &meetlinev1.GetRoomRequest{Room: strings.Repeat("a", 32<<20)})
	t.Logf("bomb: %d bytes of gzip", len(bomb))
	prefix := binary.BigEndian.AppendUint32([]byte{1}, uint32(len(bomb))) // gRPC: compressed, length
	for _, tt := range []struct {
		name    string
		hc      *http.Client
		body    []byte
		headers map[string]string
		code    func(*http.Response) string
	}{
		{"Connect", as(""), bomb, map[string]string{"Content-Type": "application/proto", "Content-Encoding": "gzip"},
			func(res *http.Response) string {
				var e struct{ Code string }
				json.NewDecoder(res.Body).Decode(&e)
				return e.Code
			}},
		{"gRPC", h2c(), append(prefix, bomb...), map[string]string{"Content-Type": "application/grpc", "Grpc-Encoding": "gzip", "Te": "trailers"},
			func(res *http.Response) string {
				io.Copy(io.Discard, res.Body)
				if n, err := strconv.Atoi(res.Trailer.Get("Grpc-Status")); err == nil {
					return connect.Code(n).String()
				}
				return "grpc-status " + res.Trailer.Get("Grpc-Status") + res.Header.Get("Grpc-Status")
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, s.url+"/meetline.v1.RoomService/GetRoom", bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			start := time.Now()
			res, err := tt.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if got := tt.code(res); got != connect.CodeResourceExhausted.String() {
				t.Fatalf("bomb answered %s (HTTP %d), want resource_exhausted", got, res.StatusCode)
			}
			t.Logf("refused in %v", time.Since(start))
		})
	}
}

func gzipped(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// TestRequestBodyLimit posts a 4 MiB body, which is no valid message, to an
// RPC: the server stops reading it at its limit instead of parsing it all.
func TestRequestBodyLimit(t *testing.T) {
	s := newStack(t)
	body := make([]byte, 4<<20)
	rand.Read(body)
	for _, tt := range []struct {
		path, contentType string
		want              int
	}{
		{"/meetline.v1.RoomService/GetRoom", "application/json", http.StatusTooManyRequests}, // Connect's resource_exhausted
	} {
		t.Run(tt.path, func(t *testing.T) {
			res, err := http.Post(s.url+tt.path, tt.contentType, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Fatalf("POST %s (4 MiB) = %d, want %d", tt.path, res.StatusCode, tt.want)
			}
		})
	}
}
