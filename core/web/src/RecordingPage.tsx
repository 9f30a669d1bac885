// One recording: the page the "recording ready" e-mail links to
// (/recordings/<id>). Its starter and the room's owners see it; owners may
// keep it permanently.
import { useEffect, useState } from "preact/hooks";
import { errorText, recordings } from "./api";
import type { Recording } from "./gen/meetline/v1/recording_pb";
import { isLive, isSaved, statusName } from "./format";
import { useLang, useT } from "./i18n";
import { Link } from "./ui";

export function RecordingPage({ id }: { id: string }) {
  const t = useT();
  const lang = useLang();
  const [rec, setRec] = useState<Recording | undefined>();
  const [error, setError] = useState("");
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    recordings
      .getRecording({ id })
      .then((r) => setRec(r.recording))
      .catch((e) => setError(errorText(t, e)));
  }, [id]);
  useEffect(() => {
    if (rec?.room) document.title = t("recpage.title", { room: rec.room.name });
  }, [rec]);

  const date = (ts?: { seconds: bigint }) =>
    ts ? new Date(Number(ts.seconds) * 1000).toLocaleString(lang, { dateStyle: "long", timeStyle: "short" }) : "—";

  async function setPermanent(permanent: boolean) {
    setBusy(true);
    setError("");
    try {
      setRec((await recordings.setPermanent({ id, permanent })).recording);
    } catch (e) {
      setError(t("recpage.failed", { msg: errorText(t, e) }));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!confirm(t("recpage.confirmDelete"))) return;
    setBusy(true);
    setError("");
    try {
      await recordings.deleteRecording({ id });
      setRec(undefined);
      setStatus(t("recpage.deleted"));
    } catch (e) {
      setError(t("recpage.failed", { msg: errorText(t, e) }));
    } finally {
      setBusy(false);
    }
  }

  if (!rec) {
    return (
      <p role={error ? "alert" : "status"} class={error ? "error" : "muted"}>
        {error || status || t("room.loading")}
      </p>
    );
  }
  return (
    <section class="card" aria-labelledby="recpage-title" data-testid="recording-page">
      <h1 id="recpage-title">{t("recpage.title", { room: rec.room?.name ?? "" })}</h1>
      <dl>
        <dt>{t("recpage.room")}</dt>
        <dd>{rec.room && <Link href={`/${rec.room.slug}`}>{rec.room.name}</Link>}</dd>
        <dt>{t("rec.when")}</dt>
        <dd>{date(rec.createTime)}</dd>
        <dt>{t("rec.status")}</dt>
        <dd data-testid="recording-status">{statusName(t, rec.status)}</dd>
        {rec.expireTime && !rec.permanent && (
          <>
            <dt>{t("recpage.expires")}</dt>
            <dd>{date(rec.expireTime)}</dd>
          </>
        )}
      </dl>
      {rec.isExpired && <p class="muted">{t("recpage.expired")}</p>}
      <div class="actions">
        {isSaved(rec.status) && rec.downloadUrl && (
          <a class="button primary" href={rec.downloadUrl} download>
            {t("rec.download")}
          </a>
        )}
        {!rec.isExpired && (
          <label>
            <input
              type="checkbox"
              checked={rec.permanent}
              disabled={busy}
              onChange={(e) => setPermanent(e.currentTarget.checked)}
            />{" "}
            {t("recpage.permanent")}
          </label>
        )}
        {!isLive(rec.status) && (
          <button type="button" class="danger" onClick={remove} disabled={busy}>
            {t("recpage.delete")}
          </button>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
