// Package mail sends the core's e-mail: it renders localized messages from
// templates and message catalogs (Renderer), sends them over SMTP through
// go-mail (Sender) and drains the Postgres outbox they are written to,
// retrying until the server takes them (Worker).
//
// The flow: a service renders a message (Renderer.Invitation,
// Renderer.RecordingReady), writes it to the outbox in the transaction of
// the change it is about (postgres.Outbox.EnqueueTx) and calls
// Worker.Notify after the commit. The worker of some replica claims it,
// sends it and marks it sent, or failed after MaxAttempts. Nothing here logs
// or stores an e-mail address outside the message itself.
package mail
