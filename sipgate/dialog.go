package sipgate

import (
	"fmt"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// dialog is the caller's dialog as its UAS holds it (RFC 3261 §12.1.1): identifiers, both sequence numbers,
// the route set and the remote target. Only the call's loop reads or writes it, so it has no lock.
type dialog struct {
	id        string       // Call-ID, local tag, remote tag (§12)
	invite    *sip.Request // the initial INVITE, with sipgate's To tag
	transport string       // of the INVITE: in-dialog requests go back the same way
	source    string       // where the INVITE came from: over TCP/TLS, requests go back on that connection
	contact   sip.ContactHeader

	localCSeq  uint32   // the CSeq of sipgate's last request (§12.2.1.1)
	remoteCSeq uint32   // the CSeq of the caller's last request taken, in order (§12.2.2)
	routes     []string // the route set: the INVITE's Record-Route values, in order (§12.1.1)
	target     sip.Uri  // the remote target: the INVITE's Contact, refreshed by re-INVITE and UPDATE

	state dialogState
}

// dialogState is where the dialog stands, from sipgate's side.
type dialogState uint8

const (
	dialogEarly     dialogState = iota // before the 2xx to the INVITE
	dialogAnswered                     // 2xx sent, no ACK yet
	dialogConfirmed                    // ACK received (or given up waiting, §13.3.1.4)
	dialogEnding                       // BYE sent, no final response yet
	dialogEnded                        // BYE answered either way, or the INVITE failed or was cancelled
)

// newDialog makes the dialog of an INVITE: sipgate's tag goes into the To header of a copy of it, so that
// every response built from that copy carries it (§12.1.1).
func newDialog(req *sip.Request, contact sip.ContactHeader) (*dialog, error) {
	if req.Contact() == nil {
		return nil, fmt.Errorf("sipgate: INVITE without Contact") // §8.1.1.8
	}
	invite := req.Clone()
	invite.To().Params.Add("tag", sip.GenerateTagN(16))
	id, err := sip.DialogIDFromRequestUAS(invite)
	if err != nil {
		return nil, err
	}
	d := &dialog{
		id:         id,
		invite:     invite,
		transport:  req.Transport(),
		source:     req.Source(),
		contact:    contact,
		remoteCSeq: req.CSeq().SeqNo,
		routes:     recordRoutes(req),
		target:     *req.Contact().Address.Clone(),
	}
	return d, nil
}

// refreshTarget takes the Contact of a target refresh request (re-INVITE, UPDATE; §12.2.2, RFC 3311 §5.2) as
// the new remote target: later requests, the BYE included, go there.
func (d *dialog) refreshTarget(req *sip.Request) {
	if h := req.Contact(); h != nil {
		d.target = *h.Address.Clone()
	}
}

// request builds a request within the dialog (§12.2.1.1): the next local CSeq, tags, the route set as Route
// header fields with the remote target as Request-URI (loose routing, RFC 3261 §16.12.1.2; a strict first
// route, without lr, becomes the Request-URI and the target the last Route), sipgate's Contact, and the
// destination: the first route, or over TCP/TLS the caller's connection (RFC 5923), or the target.
func (d *dialog) request(method sip.RequestMethod) *sip.Request {
	uri, routes := d.target, d.routes
	if len(routes) > 0 && !looseRoute(routes[0]) {
		if first, ok := parseRoute(routes[0]); ok {
			uri, routes = first, append(append([]string{}, routes[1:]...), "<"+d.target.String()+">")
		}
	}
	req := sip.NewRequest(method, *uri.Clone())
	from := d.invite.To().AsFrom()
	to := d.invite.From().AsTo()
	req.AppendHeader(&from)
	req.AppendHeader(&to)
	req.AppendHeader(sip.HeaderClone(d.invite.CallID()))
	if method != sip.ACK && method != sip.CANCEL {
		d.localCSeq++
	}
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.localCSeq, MethodName: method})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	for _, r := range routes {
		req.AppendHeader(sip.NewHeader("Route", r))
	}
	req.AppendHeader(d.contact.Clone())
	req.SetTransport(d.transport)
	switch {
	case len(routes) > 0:
		if first, ok := parseRoute(routes[0]); ok {
			req.SetDestination(first.HostPort())
		}
	case sip.IsReliable(d.transport):
		req.SetDestination(d.source)
	}
	return req
}

// ack builds the ACK of sipgate's own re-INVITE whose CSeq is seq (§13.2.2.4: same CSeq, method ACK).
func (d *dialog) ack(seq uint32) *sip.Request {
	req := d.request(sip.ACK)
	req.CSeq().SeqNo = seq
	return req
}

// addVia is the only thing sipgo's client adds to a request sipgate built whole.
func addVia(c *sipgo.Client, req *sip.Request) error {
	if req.Via() == nil {
		return sipgo.ClientRequestAddVia(c, req)
	}
	return nil
}

// recordRoutes lists the Record-Route values of req, one route per value even where a header field carries
// several (§7.3.1), in order.
func recordRoutes(req *sip.Request) []string {
	var routes []string
	for _, h := range req.GetHeaders("Record-Route") {
		routes = append(routes, splitAddresses(h.Value())...)
	}
	return routes
}

// splitAddresses splits a header value holding name-addrs separated by commas, leaving commas inside <> or
// quotes alone.
func splitAddresses(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>':
			depth--
		case c == ',' && depth == 0:
			if s := strings.TrimSpace(v[start:i]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(v[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

func parseRoute(v string) (sip.Uri, bool) {
	var uri sip.Uri
	params := sip.NewParams()
	if _, err := sip.ParseAddressValue(v, &uri, &params); err != nil {
		return sip.Uri{}, false
	}
	return uri, true
}

func looseRoute(v string) bool {
	uri, ok := parseRoute(v)
	return !ok || uri.UriParams.Has("lr")
}
