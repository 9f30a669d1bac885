// Package sipgate is meetline's SIP gateway: it answers calls to a trunk number, and (in later issues) plays a
// prompt, collects the PIN and hands the caller into a LiveKit room.
//
// This first version is the foundation the IVR will land on: a [Server] built on sipgo that listens on UDP and
// TCP at one address, answers OPTIONS probes (load balancers such as Kamailio's dispatcher use them), gives every
// INVITE a final response so that no caller hangs, drains on shutdown, and exposes /healthz and /metrics over
// HTTP. Configuration comes from the environment through [ConfigFromEnv].
package sipgate
