// Operators: the calls in progress on every sipgate replica (CallService.WatchCalls), live.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import { calls, errorText, sleep } from "./api";
import type { CallRecord } from "./gen/meetline/v1/telephony_pb";
import { type Key, useT } from "./i18n";
import { OperatorNav } from "./OperatorNav";
import { Announce } from "./ui";

/** The phases sipgate reports, in call order. */
const phases = ["ringing", "typing", "host", "lobby", "bridged"];

/** "1:05" or "1:02:05". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const mm = String(Math.floor(s / 60) % 60);
  const ss = String(s % 60).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm.padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

export function OperatorLive() {
  const t = useT();
  const [live, setLive] = useState<CallRecord[] | null>(null);
  const [error, setError] = useState("");
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    const stop = new AbortController();
    (async () => {
      // The stream ends with the core (a deployment, a network blip): open it again.
      while (!stop.signal.aborted) {
        try {
          for await (const res of calls.watchCalls({}, { signal: stop.signal })) {
            setLive(res.calls);
            setError("");
          }
        } catch (e) {
          if (stop.signal.aborted) return;
          setError(errorText(t, e));
        }
        await sleep(2000, stop.signal);
      }
    })();
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stop.abort();
      clearInterval(tick);
    };
  }, []);

  return (
    <>
      <OperatorNav />
      <h1>{t("live.title")}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <Announce text={live === null ? "" : t("live.count", { n: live.length })} />
      {live === null ? (
        <p role="status">{t("room.loading")}</p>
      ) : live.length === 0 ? (
        <p class="muted" data-testid="no-live-calls">
          {t("live.none")}
        </p>
      ) : (
        <table data-testid="live-calls">
          <thead>
            <tr>
              <th scope="col">{t("calls.phase")}</th>
              <th scope="col">{t("calls.called")}</th>
              <th scope="col">{t("calls.caller")}</th>
              <th scope="col">{t("calls.duration")}</th>
              <th scope="col">{t("calls.room")}</th>
              <th scope="col">{t("calls.instance")}</th>
            </tr>
          </thead>
          <tbody>
            {live.map((c) => (
              <tr key={c.id} data-phase={c.phase}>
                <td>
                  <span class="badge live">{phases.includes(c.phase) ? t(`phase.${c.phase}` as Key) : c.phase}</span>
                </td>
                <td>{c.calledNumber}</td>
                <td>{c.callerMasked || t("calls.anonymous")}</td>
                <td>{c.startTime ? duration(now - timestampDate(c.startTime).getTime()) : ""}</td>
                <td>
                  <code>{c.roomId}</code>
                </td>
                <td>{c.instance}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
