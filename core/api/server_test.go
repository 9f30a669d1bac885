package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/livekit"
	"github.com/meetline/meetline/core/postgres"
	"github.com/meetline/meetline/core/storage"
	"github.com/meetline/meetline/core/testenv"
)

// stack is a core API server on the test's own slice of the real services.
type stack struct {
	db     *postgres.DB
	server *api.Server
	url    string
}

// newStack serves the core's handler over HTTP/1.1 and cleartext HTTP/2, as
// core/cmd/core does, so gRPC clients can reach it.
func newStack(t testing.TB, configure ...func(*api.Server)) *stack {
	t.Helper()
	db := testenv.Postgres(t)
	kv := testenv.Valkey(t)
	bucket, err := storage.Open(testenv.StorageConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	lkcfg, _ := testenv.LiveKit(t)
	lk := livekit.New(lkcfg)
	srv := &api.Server{
		Trunks:    postgres.NewTrunkService(db),
		Telephony: core.TelephonySettings{Enabled: true, DefaultRegion: "FR"},
		Recording: core.RecordingSettings{Enabled: true, ExpirationDays: 30},
		Checks: []api.Check{
			{Name: "postgres", Ping: db.Ping},
			{Name: "valkey", Ping: kv.Ping},
			{Name: "s3", Ping: bucket.Ping},
			{Name: "livekit", Ping: lk.Ping},
		},
		Registry: prometheus.NewRegistry(),
		Logger:   testenv.Logger(t),
	}
	for _, f := range configure {
		f(srv)
	}
	return &stack{db: db, server: srv, url: serve(t, srv.Handler())}
}

// serve starts h on a loopback port, speaking HTTP/1.1 and cleartext HTTP/2.
func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	hs := httptest.NewUnstartedServer(h)
	hs.Config.Protocols = new(http.Protocols)
	hs.Config.Protocols.SetHTTP1(true)
	hs.Config.Protocols.SetUnencryptedHTTP2(true)
	hs.Start()
	t.Cleanup(hs.Close)
	return hs.URL
}

// h2c is an HTTP client that speaks cleartext HTTP/2, as gRPC needs.
func h2c() *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr}
}

func (s *stack) addTrunk(t testing.TB, name, lang string, enabled bool, numbers ...string) {
	t.Helper()
	ctx := context.Background()
	var id string
	if err := s.db.Pool.QueryRow(ctx, `INSERT INTO trunks (name, language, enabled) VALUES ($1, $2, $3) RETURNING id`,
		name, lang, enabled).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for i, n := range numbers {
		if _, err := s.db.Pool.Exec(ctx, `INSERT INTO trunk_numbers (e164, trunk_id, position) VALUES ($1, $2, $3)`, n, id, i); err != nil {
			t.Fatal(err)
		}
	}
}
