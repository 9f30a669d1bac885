package app

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core"
	"github.com/meetline/meetline/core/api"
	"github.com/meetline/meetline/core/brevo"
	"github.com/meetline/meetline/core/mail"
	"github.com/meetline/meetline/core/postgres"
)

// mail builds the renderer and, when SMTP_HOST is set, the outbox worker
// that Start runs; without it mail is queued and waits for a configured core.
func (a *App) mail(reg prometheus.Registerer) (api.Mailer, error) {
	cfg := a.Config
	renderer, err := mail.NewRenderer(cfg.MailBrand)
	if err != nil {
		return api.Mailer{}, err
	}
	outbox := postgres.NewOutbox(a.DB)
	m := api.Mailer{Renderer: renderer, Enqueue: outbox.Enqueue, Notify: func() {}, RoomURL: cfg.MailBrand.BaseURL,
		PerInviter: core.AttemptLimit{Max: cfg.InvitationsPerHour, Window: time.Hour}, Recipients: cfg.InvitationRecipients}
	if cfg.SMTP.Host == "" {
		a.Log.Warn("no SMTP_HOST: mail, and the deletion of deleted rooms' recordings, are queued in the outbox but not done")
		return m, nil
	}
	sender, err := mail.NewSender(cfg.SMTP)
	if err != nil {
		return api.Mailer{}, fmt.Errorf("SMTP: %w", err)
	}
	router := mail.Router{Default: sender, ByKind: map[string]mail.Transport{
		core.KindObjectDeletion: mail.ObjectTransport{Bucket: a.Bucket}}}
	if cfg.MarketingProvider == "brevo" {
		router.ByKind[core.KindMarketingContact] = mail.ContactTransport{List: brevo.NewClient(cfg.BrevoURL, cfg.BrevoAPIKey, cfg.BrevoListIDs)}
	}
	if cfg.SummaryURL != "" {
		router.ByKind[core.KindSummaryRequest] = mail.SummaryTransport{URL: cfg.SummaryURL, Token: cfg.SummaryToken,
			HTTP: &http.Client{Timeout: cfg.SummaryTimeout}}
	}
	a.worker = mail.NewWorker(outbox, router, mail.WithPollInterval(cfg.MailPollInterval), mail.WithMaxAttempts(cfg.MailMaxAttempts),
		mail.WithMetrics(reg), mail.WithLogger(a.Log))
	m.Notify = a.worker.Notify
	return m, nil
}
