package storage

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
)

// ObjectEvent is one object notification, whatever S3 implementation sent it.
type ObjectEvent struct {
	Name        string // "s3:ObjectCreated:Put"
	Bucket      string
	Key         string // unescaped
	Size        int64
	ContentType string // empty when the sender does not say (AWS, versitygw)
}

// Created reports whether the event says an object was written.
func (e ObjectEvent) Created() bool {
	return strings.HasPrefix(strings.TrimPrefix(e.Name, "s3:"), "ObjectCreated:")
}

// ErrMalformedEvent is returned for a body that is not an S3 notification.
var ErrMalformedEvent = errors.New("storage: not an S3 event notification")

// notification is the union of the shapes senders post: AWS and versitygw
// send {"Records":[…]}; MinIO adds top-level EventName and Key
// ("bucket/escaped%2Fkey"); versitygw's start-up test event is
// {"Bucket":…,"Event":"s3:TestEvent"} (so is AWS's, with "Service").
type notification struct {
	EventName string `json:"EventName"`
	Key       string `json:"Key"`
	Event     string `json:"Event"`
	Records   []struct {
		EventName string `json:"eventName"`
		S3        struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key         string `json:"key"`
				Size        int64  `json:"size"`
				ContentType string `json:"contentType"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

// ParseEvents reads a storage webhook body. A test event yields no events
// and isTest; anything that is neither → ErrMalformedEvent. Keys arrive
// query-escaped from MinIO ("room+1%2Frec.ogg") and raw from versitygw
// ("room 1/rec.ogg"): a key is unescaped only when it holds an escape ("%"),
// so a raw key with "+" in it is kept as written.
func ParseEvents(body []byte) (events []ObjectEvent, isTest bool, err error) {
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, false, ErrMalformedEvent
	}
	if n.Event == "s3:TestEvent" {
		return nil, true, nil
	}
	if len(n.Records) == 0 {
		return nil, false, ErrMalformedEvent
	}
	for _, r := range n.Records {
		key, err := unescapeKey(r.S3.Object.Key)
		if err != nil || r.EventName == "" || r.S3.Bucket.Name == "" || key == "" {
			return nil, false, ErrMalformedEvent
		}
		events = append(events, ObjectEvent{Name: r.EventName, Bucket: r.S3.Bucket.Name, Key: key,
			Size: r.S3.Object.Size, ContentType: r.S3.Object.ContentType})
	}
	return events, false, nil
}

// unescapeKey undoes MinIO's query escaping (where "+" is a space); a key
// without "%" is taken as raw, as versitygw and AWS for plain keys send it.
func unescapeKey(k string) (string, error) {
	if !strings.Contains(k, "%") {
		return k, nil
	}
	return url.QueryUnescape(k)
}
