// Invitations by e-mail: the core queues one message per address, with the
// room's link and, when telephony is on, its dial-in numbers and PIN.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";
import { errorText, invitations } from "./api";
import { Role } from "./gen/meetline/v1/common_pb";
import { useT } from "./i18n";

export function InviteForm({ roomId }: { roomId: string }) {
  const t = useT();
  const [emails, setEmails] = useState("");
  const [start, setStart] = useState("");
  const [message, setMessage] = useState("");
  const [grant, setGrant] = useState(false);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState("");
  const [error, setError] = useState("");

  async function send(e: Event) {
    e.preventDefault();
    setBusy(true);
    setDone("");
    setError("");
    try {
      const res = await invitations.invite({
        roomId,
        emails: emails.split(/[\s,;]+/).filter(Boolean),
        message: message.trim(),
        startTime: start ? timestampFromDate(new Date(start)) : undefined,
        grantRole: grant ? Role.MEMBER : Role.UNSPECIFIED,
      });
      setDone(t("invite.sent", { n: res.queued }));
      setEmails("");
      setMessage("");
    } catch (err) {
      setError(t("invite.failed", { msg: errorText(t, err) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" aria-labelledby="invite-title">
      <h2 id="invite-title">{t("invite.title")}</h2>
      <form class="stack" onSubmit={send}>
        <label for="invite-emails">{t("invite.emails")}</label>
        <textarea
          id="invite-emails"
          name="emails"
          rows={3}
          required
          aria-describedby="invite-emails-hint"
          value={emails}
          onInput={(e) => setEmails(e.currentTarget.value)}
        />
        <small id="invite-emails-hint" class="muted">
          {t("invite.emailsHint")}
        </small>
        <label for="invite-start">{t("invite.start")}</label>
        <input id="invite-start" type="datetime-local" value={start} onInput={(e) => setStart(e.currentTarget.value)} />
        <label for="invite-message">{t("invite.message")}</label>
        <textarea
          id="invite-message"
          rows={2}
          maxLength={1000}
          value={message}
          onInput={(e) => setMessage(e.currentTarget.value)}
        />
        <label class="check">
          <input type="checkbox" checked={grant} onChange={(e) => setGrant(e.currentTarget.checked)} />{" "}
          {t("invite.grant")}
        </label>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {t("invite.submit")}
          </button>
        </div>
        <p role="status" class="ok">
          {done}
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
