// Package deploy holds no code: its tests check the deployment files beside
// it (compose/, k8s/, kamailio/, docker/, nginx/) with the parsers of the
// programs that read them — the Kubernetes API types, sipgate's
// configuration loader, livekit-server, Kamailio and nginx — and check that
// the settings that must agree across services do.
package deploy
