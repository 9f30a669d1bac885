// The meeting itself: joins the LiveKit room with LiveKit's browser SDK and
// lists who is there, phone callers (LiveKit participants of kind SIP) marked,
// with who is muted and who raised a hand (a phone caller's *6 and *9) live.
// The room's administrators mute, unmute (phone callers only), rename and
// remove people through the core's ParticipantService.
import { useEffect, useRef, useState } from "preact/hooks";
// livekit-client is most of the console's code: it loads when someone joins.
import type { Participant, Room } from "livekit-client";
import type { LiveKitConnection } from "./gen/meetline/v1/room_pb";
import { errorText, participants } from "./api";
import { phoneName } from "./format";
import { useT, type T } from "./i18n";
import { Announce } from "./ui";

interface Person {
  identity: string;
  name: string;
  phone: boolean;
  local: boolean;
  speaking: boolean;
  color: string;
  muted: boolean;
  hand: boolean;
}

type LiveKit = typeof import("livekit-client");
type State = "disconnected" | "connecting" | "connected" | "reconnecting";

// shownName is how the list names p: a phone caller keeps LiveKit's "Phone
// 1234" masked ("Phone ••• 34") until a host renames them.
function shownName(t: T, p: { phone: boolean; name: string }): string {
  return p.phone && /^Phone( \d*)?$/.test(p.name) ? phoneName(t, p.name) : p.name;
}

function people(lk: LiveKit, room: Room): Person[] {
  const list: Participant[] = [room.localParticipant, ...room.remoteParticipants.values()];
  return list.map((p) => ({
    identity: p.identity,
    name: p.name || p.identity,
    phone: p.kind === lk.ParticipantKind.SIP,
    local: p === room.localParticipant,
    speaking: p.isSpeaking,
    color: p.attributes?.color ?? "",
    muted: !p.isMicrophoneEnabled,
    hand: p.attributes?.["meet.hand"] === "raised",
  }));
}

interface MeetingProps {
  connection: LiveKitConnection;
  autoJoin?: boolean;
  // Set for the room's administrators and owners: the list gets moderation buttons.
  roomId?: string;
  admin?: boolean;
  // refresh asks the core for a fresh token (RoomService.RefreshToken): tokens
  // live minutes (LIVEKIT_TOKEN_TTL), so each join, and each join again after a
  // disconnection, takes a new one; the core says no to whoever lost the
  // right to be there. While connected, LiveKit refreshes the token itself.
  refresh?: () => Promise<LiveKitConnection>;
}

export function Meeting({ connection, autoJoin = false, roomId = "", admin = false, refresh: fresh }: MeetingProps) {
  const t = useT();
  const roomRef = useRef<Room | null>(null);
  const audioRef = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<State>("disconnected");
  const [list, setList] = useState<Person[]>([]);
  const [mic, setMic] = useState(false);
  const [error, setError] = useState("");
  const [news, setNews] = useState("");
  const [left, setLeft] = useState(false);

  useEffect(() => () => void roomRef.current?.disconnect(), []);
  useEffect(() => {
    if (autoJoin) void join();
  }, [autoJoin, connection.token]);

  async function join() {
    if (roomRef.current) return;
    setError("");
    setLeft(false);
    setState("connecting");
    let lk: LiveKit;
    try {
      lk = await import("livekit-client");
    } catch (e) {
      setState("disconnected");
      setError(t("meeting.failed", { msg: errorText(t, e) }));
      return;
    }
    const { ConnectionState, ParticipantKind, RoomEvent, Track } = lk;
    const room = new lk.Room({ adaptiveStream: true, dynacast: true });
    roomRef.current = room;
    const refresh = () => setList(people(lk, room));
    const label = (p: Participant) => shownName(t, { phone: p.kind === ParticipantKind.SIP, name: p.name || p.identity });
    const states: Record<string, State> = {
      [ConnectionState.Connecting]: "connecting",
      [ConnectionState.Connected]: "connected",
      [ConnectionState.Reconnecting]: "reconnecting",
      [ConnectionState.SignalReconnecting]: "reconnecting",
    };
    room
      .on(RoomEvent.ConnectionStateChanged, (s) => {
        setState(states[s] ?? "disconnected");
        refresh();
      })
      .on(RoomEvent.ParticipantConnected, (p) => {
        refresh();
        setNews(t("participants.joined", { name: label(p) }));
      })
      .on(RoomEvent.ParticipantDisconnected, (p) => {
        refresh();
        setNews(t("participants.left", { name: label(p) }));
      })
      .on(RoomEvent.ParticipantNameChanged, refresh)
      .on(RoomEvent.ParticipantAttributesChanged, refresh)
      .on(RoomEvent.ActiveSpeakersChanged, refresh)
      .on(RoomEvent.LocalTrackPublished, () => setMic(room.localParticipant.isMicrophoneEnabled))
      .on(RoomEvent.TrackPublished, refresh)
      .on(RoomEvent.TrackUnpublished, refresh)
      .on(RoomEvent.TrackMuted, () => {
        setMic(room.localParticipant.isMicrophoneEnabled);
        refresh();
      })
      .on(RoomEvent.TrackUnmuted, () => {
        setMic(room.localParticipant.isMicrophoneEnabled);
        refresh();
      })
      .on(RoomEvent.TrackSubscribed, (track) => {
        if (track.kind === Track.Kind.Audio) audioRef.current?.appendChild(track.attach());
      })
      .on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((el) => el.remove()))
      .on(RoomEvent.Disconnected, () => {
        roomRef.current = null;
        setState("disconnected");
        setList([]);
        setMic(false);
      });
    try {
      const conn = fresh ? await fresh() : connection;
      await room.connect(conn.url, conn.token);
      await room.startAudio();
      refresh();
    } catch (e) {
      roomRef.current = null;
      setState("disconnected");
      setError(t("meeting.failed", { msg: errorText(t, e) }));
    }
  }

  async function leave() {
    await roomRef.current?.disconnect();
    setLeft(true);
  }

  async function toggleMic() {
    const room = roomRef.current;
    if (!room) return;
    try {
      await room.localParticipant.setMicrophoneEnabled(!mic);
      setMic(room.localParticipant.isMicrophoneEnabled);
    } catch (e) {
      setError(errorText(t, e));
    }
  }

  // moderate runs one ParticipantService call; LiveKit's events then update the list.
  async function moderate(call: () => Promise<unknown>) {
    setError("");
    try {
      await call();
    } catch (e) {
      setError(errorText(t, e));
    }
  }

  function rename(p: Person) {
    const name = prompt(t("participants.renamePrompt", { name: shownName(t, p) }), p.name);
    if (name?.trim()) void moderate(() => participants.renameParticipant({ roomId, identity: p.identity, name }));
  }

  function remove(p: Person) {
    if (confirm(t("participants.removeConfirm", { name: shownName(t, p) })))
      void moderate(() => participants.removeParticipant({ roomId, identity: p.identity }));
  }

  const connected = state === "connected" || state === "reconnecting";
  return (
    <section class="card" aria-labelledby="meeting-title">
      <h2 id="meeting-title">{t("meeting.title")}</h2>
      <div class="actions">
        {!connected && (
          <button type="button" class="primary" onClick={join} disabled={state === "connecting"}>
            {state === "connecting" ? t("meeting.connecting") : t("meeting.join")}
          </button>
        )}
        {connected && (
          <>
            <button type="button" aria-pressed={mic} onClick={toggleMic}>
              {mic ? t("meeting.micOff") : t("meeting.micOn")}
            </button>
            <button type="button" onClick={leave}>
              {t("meeting.leave")}
            </button>
          </>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p role="status" class="muted">
        {connected ? t("meeting.connected") : left ? t("meeting.left") : ""}
      </p>
      <h3 id="participants-title">{t("participants.title", { n: list.length })}</h3>
      {list.length === 0 ? (
        <p class="muted">{t("meeting.notJoined")}</p>
      ) : (
        <ul class="people" aria-labelledby="participants-title" data-testid="participants">
          {list.map((p) => (
            <li key={p.identity} class={p.speaking ? "speaking" : ""} data-kind={p.phone ? "phone" : "web"}>
              <span class="avatar" aria-hidden="true" style={p.color ? { borderColor: p.color } : undefined}>
                {p.phone ? "☎" : (p.name[0] ?? "?").toUpperCase()}
              </span>
              <span class="who">
                {shownName(t, p)}
                {p.local && <span class="muted"> ({t("participants.you")})</span>}
              </span>
              <span class={p.phone ? "badge phone" : "badge"}>{p.phone ? t("participants.phone") : t("participants.web")}</span>
              {p.speaking && <span class="badge live">{t("participants.speaking")}</span>}
              {p.muted && <span class="badge" data-testid="muted">{t("participants.muted")}</span>}
              {p.hand && (
                <span class="badge live" data-testid="hand">
                  ✋ {t("participants.hand")}
                </span>
              )}
              {admin && roomId && !p.local && (
                <span class="row-actions">
                  {!p.muted && (
                    <button type="button" onClick={() => moderate(() => participants.muteParticipant({ roomId, identity: p.identity, muted: true }))}>
                      {t("participants.mute")}
                    </button>
                  )}
                  {p.phone && p.muted && (
                    <button type="button" onClick={() => moderate(() => participants.muteParticipant({ roomId, identity: p.identity, muted: false }))}>
                      {t("participants.unmute")}
                    </button>
                  )}
                  <button type="button" onClick={() => rename(p)}>
                    {t("participants.rename")}
                  </button>
                  <button type="button" onClick={() => remove(p)}>
                    {t("participants.remove")}
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <Announce text={news} />
      <div ref={audioRef} hidden />
    </section>
  );
}
