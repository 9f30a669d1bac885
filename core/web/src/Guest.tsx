// Asking to enter a room one may not enter at once: RequestEntry, then
// WatchEntry streams the request's status until someone decides. The ticket
// RequestEntry returns is what proves, on later calls, who is asking.
import { useEffect, useRef, useState } from "preact/hooks";
import { errorText, lobby, sleep } from "./api";
import { EntryStatus } from "./gen/meetline/v1/lobby_pb";
import type { LiveKitConnection, Room } from "./gen/meetline/v1/room_pb";
import type { Session } from "./auth";
import { useT } from "./i18n";
import { Link } from "./ui";

type Phase = "form" | "waiting" | "denied";

export function GuestEntry({
  room,
  session,
  onAdmitted,
}: {
  room: Room;
  session: Session | null;
  // ticket and name ask again (RequestEntry) for a fresh token on each join.
  onAdmitted: (c: LiveKitConnection, ticket: string, name: string) => void;
}) {
  const t = useT();
  const [name, setName] = useState(session?.name ?? "");
  const [phase, setPhase] = useState<Phase>("form");
  const [error, setError] = useState("");
  const abort = useRef<AbortController | null>(null);
  // The room lets this person in without the lobby: only a name is missing.
  const open = !!room.livekit;

  useEffect(() => () => abort.current?.abort(), []);

  async function ask(e: Event) {
    e.preventDefault();
    setError("");
    try {
      const res = await lobby.requestEntry({ room: room.id, username: name.trim() });
      if (res.participant?.status === EntryStatus.ACCEPTED && res.livekit) {
        onAdmitted(res.livekit, res.ticket, name.trim());
        return;
      }
      setPhase("waiting");
      void watch(res.ticket);
    } catch (err) {
      setError(errorText(t, err));
    }
  }

  // watch follows the request until it is decided. When the stream breaks,
  // RequestEntry with the ticket refreshes the request (a waiting entry
  // expires unless something keeps it alive) and the watch starts again.
  async function watch(ticket: string) {
    const ac = new AbortController();
    abort.current = ac;
    let delay = 300;
    while (!ac.signal.aborted) {
      try {
        for await (const res of lobby.watchEntry({ room: room.id, ticket }, { signal: ac.signal })) {
          delay = 300;
          const status = res.participant?.status;
          if (status === EntryStatus.ACCEPTED && res.livekit) {
            ac.abort();
            onAdmitted(res.livekit, ticket, name.trim());
            return;
          }
          if (status === EntryStatus.DENIED) {
            ac.abort();
            setPhase("denied");
            return;
          }
        }
      } catch (err) {
        if (ac.signal.aborted) return;
        console.warn("WatchEntry:", err);
      }
      await sleep(delay, ac.signal);
      delay = Math.min(delay * 2, 5_000);
      try {
        const res = await lobby.requestEntry({ room: room.id, username: name.trim(), ticket });
        if (res.participant?.status === EntryStatus.ACCEPTED && res.livekit) {
          ac.abort();
          onAdmitted(res.livekit, ticket, name.trim());
          return;
        }
        if (res.participant?.status === EntryStatus.DENIED) {
          setPhase("denied");
          return;
        }
      } catch (err) {
        setError(errorText(t, err));
      }
    }
  }

  return (
    <section class="card" aria-labelledby="guest-title">
      <h2 id="guest-title">{open ? t("meeting.join") : t("guest.title")}</h2>
      {phase === "form" && (
        <form onSubmit={ask} class="stack">
          <p>{open ? t("guest.introOpen") : t("guest.intro")}</p>
          <label for="guest-name">{t("guest.name")}</label>
          <input
            id="guest-name"
            name="username"
            required
            maxLength={100}
            autocomplete="name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <div class="actions">
            <button type="submit" class="primary">
              {open ? t("meeting.join") : t("guest.submit")}
            </button>
          </div>
          {!session && (
            <p>
              <Link href={`/?next=/${room.slug}`}>{t("guest.signIn")}</Link>
            </p>
          )}
        </form>
      )}
      {phase === "waiting" && (
        <p role="status" class="waiting">
          <span class="spinner" aria-hidden="true" /> {t("guest.waiting")}
        </p>
      )}
      {phase === "denied" && (
        <p role="alert" class="error">
          {t("guest.denied")}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
