package storage_test

import (
	"errors"
	"testing"

	"github.com/meetline/meetline/core/storage"
)

func TestParseEvents(t *testing.T) {
	tests := []struct {
		name string
		body string
		want storage.ObjectEvent
	}{
		{"versitygw, raw key", `{"Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"meetline"},"object":{"key":"recordings/5f0c.ogg","size":1234,"eTag":"\"abc\""}}}]}`,
			storage.ObjectEvent{Name: "s3:ObjectCreated:Put", Bucket: "meetline", Key: "recordings/5f0c.ogg", Size: 1234}},
		{"versitygw, key with a space", `{"Records":[{"eventName":"s3:ObjectCreated:CompleteMultipartUpload","s3":{"bucket":{"name":"b"},"object":{"key":"room 1/rec-001.ogg","size":0}}}]}`,
			storage.ObjectEvent{Name: "s3:ObjectCreated:CompleteMultipartUpload", Bucket: "b", Key: "room 1/rec-001.ogg"}},
		{"MinIO, escaped key and top-level fields", `{"EventName":"s3:ObjectCreated:Put","Key":"b/room+1%2Frec-001.ogg","Records":[{"eventVersion":"2.0","eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"room+1%2Frec-001.ogg","size":5,"contentType":"audio/ogg"}}}]}`,
			storage.ObjectEvent{Name: "s3:ObjectCreated:Put", Bucket: "b", Key: "room 1/rec-001.ogg", Size: 5, ContentType: "audio/ogg"}},
		{"MinIO, plain key", `{"EventName":"s3:ObjectCreated:Put","Key":"b/recordings/x.mp4","Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"recordings%2Fx.mp4","contentType":"video/mp4"}}}]}`,
			storage.ObjectEvent{Name: "s3:ObjectCreated:Put", Bucket: "b", Key: "recordings/x.mp4", ContentType: "video/mp4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, isTest, err := storage.ParseEvents([]byte(tt.body))
			if err != nil || isTest || len(got) != 1 || got[0] != tt.want {
				t.Fatalf("ParseEvents = %+v, %v, %v; want %+v", got, isTest, err, tt.want)
			}
			if !got[0].Created() {
				t.Error("Created() = false")
			}
		})
	}
}

func TestParseEventsTestAndMalformed(t *testing.T) {
	if ev, isTest, err := storage.ParseEvents([]byte(`{"Bucket":"Test-Bucket","Event":"s3:TestEvent"}`)); err != nil || !isTest || ev != nil {
		t.Errorf("test event = %v %v %v", ev, isTest, err)
	}
	for _, body := range []string{``, `null`, `[]`, `{}`, `{"Records":[]}`, `{"Records":[{}]}`, `not json`,
		`{"Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"%zz"}}}]}`,
		`{"Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":""},"object":{"key":"k"}}}]}`} {
		if _, _, err := storage.ParseEvents([]byte(body)); !errors.Is(err, storage.ErrMalformedEvent) {
			t.Errorf("ParseEvents(%q) error = %v", body, err)
		}
	}
	ev, _, _ := storage.ParseEvents([]byte(`{"Records":[{"eventName":"s3:ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`))
	if len(ev) != 1 || ev[0].Created() {
		t.Errorf("a removal is not a creation: %+v", ev)
	}
}

// FuzzParseEvents: storage webhooks are untrusted input; the parser must
// never panic, and what it returns always names a bucket and a key.
func FuzzParseEvents(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"room+1%2Frec.ogg","size":1}}}]}`))
	f.Add([]byte(`{"Bucket":"Test-Bucket","Event":"s3:TestEvent"}`))
	f.Add([]byte(`{"EventName":"x","Key":"b/k","Records":[{"eventName":"e","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, _, err := storage.ParseEvents(body)
		if err != nil {
			return
		}
		for _, e := range events {
			if e.Bucket == "" || e.Key == "" || e.Name == "" {
				t.Fatalf("incomplete event %+v from %q", e, body)
			}
		}
	})
}
