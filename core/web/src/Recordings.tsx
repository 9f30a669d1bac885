// Recording controls for the room's administrators and owners, and the
// recordings they may see: those they started, and all of them for owners. There is no stream of recording changes: the list is read again
// every two seconds while one is starting, running or being saved.
import { Code } from "@connectrpc/connect";
import { useEffect, useState } from "preact/hooks";
import { errorText, isCode, recordings, sleep } from "./api";
import { type Recording, RecordingStatus } from "./gen/meetline/v1/recording_pb";
import { type RecordingConfig, RecordingMode } from "./gen/meetline/v1/config_pb";
import { isLive, isSaved, statusName } from "./format";
import { useLang, useT } from "./i18n";

export function RecordingPanel({ roomId, config }: { roomId: string; config?: RecordingConfig }) {
  const t = useT();
  const lang = useLang();
  const [list, setList] = useState<Recording[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [status, setStatus] = useState("");
  const [tick, setTick] = useState(0);

  const pending = list.some((r) => isLive(r.status) || r.status === RecordingStatus.STOPPED);
  const live = list.find((r) => isLive(r.status));
  useEffect(() => {
    if (!pending) setStatus("");
  }, [pending]);

  useEffect(() => {
    const ac = new AbortController();
    void (async () => {
      do {
        try {
          const res = await recordings.listRecordings({ pageSize: 100 }, { signal: ac.signal });
          setList(res.recordings.filter((r) => r.room?.id === roomId));
        } catch (e) {
          if (!ac.signal.aborted) setError(errorText(t, e));
        }
        await sleep(2000, ac.signal);
      } while (!ac.signal.aborted && pending);
    })();
    return () => ac.abort();
  }, [roomId, pending, tick]);

  async function start() {
    setBusy(true);
    setError("");
    setStatus("");
    try {
      await recordings.startRecording({ roomId, mode: RecordingMode.SCREEN_RECORDING, options: { language: lang } });
      setStatus(t("rec.started"));
    } catch (e) {
      const msg = errorText(t, e);
      setError(t("rec.startFailed", { msg: isCode(e, Code.Unavailable) ? `${t("rec.noEgress")} (${msg})` : msg }));
    } finally {
      setBusy(false);
      setTick((n) => n + 1);
    }
  }

  async function stop() {
    setBusy(true);
    setError("");
    setStatus("");
    try {
      await recordings.stopRecording({ roomId });
      setStatus(t("rec.stopped"));
    } catch (e) {
      setError(t("rec.stopFailed", { msg: errorText(t, e) }));
    } finally {
      setBusy(false);
      setTick((n) => n + 1);
    }
  }

  const when = (r: Recording) =>
    r.createTime
      ? new Date(Number(r.createTime.seconds) * 1000).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" })
      : "";

  return (
    <section class="card" aria-labelledby="rec-title" data-testid="recordings">
      <h2 id="rec-title">{t("rec.title")}</h2>
      {config && !config.enabled ? (
        <p class="muted">{t("rec.disabled")}</p>
      ) : (
        <div class="actions">
          {live ? (
            <button type="button" class="danger" onClick={stop} disabled={busy}>
              <span class="dot" aria-hidden="true" /> {t("rec.stop")}
            </button>
          ) : (
            <button type="button" class="primary" onClick={start} disabled={busy}>
              {t("rec.start")}
            </button>
          )}
          {live && <span class="badge live">{t("rec.live")}</span>}
        </div>
      )}
      <p role="status" class="muted">
        {status}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <h3 id="rec-list-title">{t("rec.list")}</h3>
      {list.length === 0 ? (
        <p class="muted">{t("rec.none")}</p>
      ) : (
        <table aria-labelledby="rec-list-title">
          <thead>
            <tr>
              <th scope="col">{t("rec.when")}</th>
              <th scope="col">{t("rec.status")}</th>
              <th scope="col">{t("rec.file")}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.id} data-status={RecordingStatus[r.status]}>
                <td>{when(r)}</td>
                <td>{statusName(t, r.status)}</td>
                <td>
                  {isSaved(r.status) && r.downloadUrl ? (
                    <a href={r.downloadUrl} download aria-label={t("rec.downloadOf", { date: when(r) })}>
                      {t("rec.download")}
                    </a>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
