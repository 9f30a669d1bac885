package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meetline/meetline/core/postgres"
)

// mailPurger deletes sent mail once MAIL_RETENTION_DAYS passed: recipients
// and bodies (PINs included) have no use after delivery. Every replica runs
// it; the one holding the purge lock does the work.
type mailPurger struct {
	outbox *postgres.Outbox
	purged prometheus.Counter
}

func newMailPurger(a *App, reg prometheus.Registerer) *mailPurger {
	p := &mailPurger{outbox: postgres.NewOutbox(a.DB), purged: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "meetline_mail_purged_total",
		Help: "Sent messages deleted from the outbox once MAIL_RETENTION_DAYS passed.",
	})}
	reg.MustRegister(p.purged)
	return p
}

// purgeMail purges at start, then every MAIL_PURGE_INTERVAL, until ctx ends.
func (a *App) purgeMail(ctx context.Context) {
	if a.Config.MailPurgeInterval <= 0 {
		return
	}
	for {
		a.PurgeMail(ctx, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-time.After(a.Config.MailPurgeInterval):
		}
	}
}

// PurgeMail deletes the mail sent more than MAIL_RETENTION_DAYS before now.
func (a *App) PurgeMail(ctx context.Context, now time.Time) {
	n, leader, err := a.purger.outbox.PurgeSent(ctx, now.Add(-a.Config.MailRetention))
	switch {
	case err != nil && ctx.Err() == nil:
		a.Log.Warn("purging sent mail failed", "err", err)
	case leader && n > 0:
		a.purger.purged.Add(float64(n))
		a.Log.Info("sent mail purged", "messages", n)
	}
}
