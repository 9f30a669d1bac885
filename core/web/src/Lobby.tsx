// The lobby as its room's administrators and owners see it: WatchWaiting
// streams the list of people waiting each time it changes (web visitors and
// phone callers alike), and Decide lets each in or not.
import { useEffect, useRef, useState } from "preact/hooks";
import { Code } from "@connectrpc/connect";
import { errorText, isCode, lobby, sleep } from "./api";
import { type LobbyParticipant, ParticipantKind } from "./gen/meetline/v1/lobby_pb";
import { phoneName } from "./format";
import { useT } from "./i18n";
import { Announce } from "./ui";

export function LobbyPanel({ roomId, open }: { roomId: string; open: boolean }) {
  const t = useT();
  const [waiting, setWaiting] = useState<LobbyParticipant[]>([]);
  const [trouble, setTrouble] = useState(false);
  const [error, setError] = useState("");
  const [news, setNews] = useState("");
  const seen = useRef(new Set<string>());

  useEffect(() => {
    if (open) return;
    const ac = new AbortController();
    seen.current = new Set();
    void (async () => {
      let delay = 500;
      while (!ac.signal.aborted) {
        try {
          for await (const res of lobby.watchWaiting({ roomId }, { signal: ac.signal })) {
            setTrouble(false);
            delay = 500;
            setWaiting(res.participants);
            const arrived = res.participants.filter((p) => !seen.current.has(p.id));
            res.participants.forEach((p) => seen.current.add(p.id));
            if (arrived.length > 0) setNews(arrived.map((p) => t("lobby.waiting", { name: displayName(p) })).join(" "));
          }
        } catch (e) {
          if (ac.signal.aborted) return;
          if (isCode(e, Code.FailedPrecondition)) {
            setError(errorText(t, e)); // the room has no lobby (any more)
            return;
          }
          setTrouble(true);
          console.warn("WatchWaiting:", e);
        }
        await sleep(delay, ac.signal);
        delay = Math.min(delay * 2, 10_000);
      }
    })();
    return () => ac.abort();
  }, [roomId, open]);

  function displayName(p: LobbyParticipant): string {
    return p.kind === ParticipantKind.PHONE ? phoneName(t, p.username) : p.username;
  }

  async function decide(p: LobbyParticipant, allow: boolean) {
    setError("");
    try {
      await lobby.decide({ roomId, participantId: p.id, allow });
      setWaiting((w) => w.filter((x) => x.id !== p.id));
    } catch (e) {
      setError(errorText(t, e));
    }
  }

  return (
    <section class="card" aria-labelledby="lobby-title" data-testid="lobby">
      <h2 id="lobby-title">
        {t("lobby.title")} {waiting.length > 0 && <span class="count">{waiting.length}</span>}
      </h2>
      {open && <p class="muted">{t("lobby.public")}</p>}
      {trouble && <p class="muted">{t("lobby.reconnecting")}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {open ? null : waiting.length === 0 ? (
        <p class="muted">{t("lobby.empty")}</p>
      ) : (
        <ul class="people">
          {waiting.map((p) => {
            const phone = p.kind === ParticipantKind.PHONE;
            const name = displayName(p);
            return (
              <li key={p.id} data-kind={phone ? "phone" : "web"}>
                <span class="avatar" aria-hidden="true" style={p.color ? { borderColor: p.color } : undefined}>
                  {phone ? "☎" : (name[0] ?? "?").toUpperCase()}
                </span>
                <span class="who">{name}</span>
                <span class={phone ? "badge phone" : "badge"}>{phone ? t("participants.phone") : t("participants.web")}</span>
                <span class="actions">
                  <button type="button" class="primary" aria-label={t("lobby.admitName", { name })} onClick={() => decide(p, true)}>
                    {t("lobby.admit")}
                  </button>
                  <button type="button" aria-label={t("lobby.denyName", { name })} onClick={() => decide(p, false)}>
                    {t("lobby.deny")}
                  </button>
                </span>
              </li>
            );
          })}
        </ul>
      )}
      <Announce text={news} />
    </section>
  );
}
