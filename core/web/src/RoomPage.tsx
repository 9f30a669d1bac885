// A room: its name and access, how to dial in, the meeting, and for its
// administrators and owners the lobby, recordings, invitations and settings.
// People who may not enter at once ask to, through the lobby.
import { Code } from "@connectrpc/connect";
import { useEffect, useState } from "preact/hooks";
import { errorText, isCode, lobby, rooms } from "./api";
import type { Session } from "./auth";
import { AccessLevel, Role } from "./gen/meetline/v1/common_pb";
import type { GetConfigResponse } from "./gen/meetline/v1/config_pb";
import type { DialIn, LiveKitConnection, Room } from "./gen/meetline/v1/room_pb";
import { accessKey, groupPin, roleName } from "./format";
import { GuestEntry } from "./Guest";
import { useT } from "./i18n";
import { InviteForm } from "./Invite";
import { LobbyPanel } from "./Lobby";
import { MembersPanel } from "./Members";
import { Meeting } from "./Meeting";
import { RecordingPanel } from "./Recordings";
import { Card, CopyButton } from "./ui";

export function RoomPage({ slug, session, config }: { slug: string; session: Session | null; config?: GetConfigResponse }) {
  const t = useT();
  const [room, setRoom] = useState<Room | null>(null);
  const [error, setError] = useState("");
  const [missing, setMissing] = useState(false);
  const [admitted, setAdmitted] = useState<LiveKitConnection | null>(null);
  const [guest, setGuest] = useState<{ ticket: string; name: string } | null>(null);

  useEffect(() => {
    let live = true;
    setRoom(null);
    setAdmitted(null);
    setMissing(false);
    rooms
      .getRoom({ room: slug })
      .then((res) => {
        if (!live) return;
        // An old link (the room was renamed) leads here: show the current one.
        if (res.room && res.room.slug !== slug) history.replaceState(null, "", `/${res.room.slug}${location.search}`);
        setRoom(res.room ?? null);
      })
      .catch((e) => {
        if (!live) return;
        if (isCode(e, Code.NotFound)) setMissing(true);
        else setError(errorText(t, e));
      });
    return () => {
      live = false;
    };
  }, [slug, session?.token]);

  useEffect(() => {
    if (room) document.title = `${room.name} · meetline`;
  }, [room?.name]);

  if (missing) return <p role="alert">{t("room.notFound")}</p>;
  if (error)
    return (
      <p class="error" role="alert">
        {t("error.generic", { msg: error })}
      </p>
    );
  if (!room) return <p role="status">{t("room.loading")}</p>;

  const admin = room.role === Role.ADMINISTRATOR || room.role === Role.OWNER;
  // Signed-in people who may enter join as themselves; anyone else says who
  // they are first (RequestEntry), and joins under that name once let in, at
  // once where the room is open to them.
  const connection = admitted ?? (session ? room.livekit : undefined);
  return (
    <>
      <header class="room-head">
        <h1>{room.name}</h1>
        <dl class="facts">
          <div>
            <dt>{t("room.access")}</dt>
            <dd data-testid="access-level">{t(`accessShort.${accessKey(room.accessLevel)}`)}</dd>
          </div>
          <div>
            <dt>{t("room.role")}</dt>
            <dd>{roleName(t, room.role)}</dd>
          </div>
          <div>
            <dt>{t("room.link")}</dt>
            <dd>
              <code>{`${location.origin}/${room.slug}`}</code>
            </dd>
          </div>
        </dl>
      </header>
      <div class="grid">
        <div class="col">
          {connection ? (
            <Meeting
              key={room.id}
              connection={connection}
              autoJoin={!!admitted}
              roomId={room.id}
              admin={admin}
              refresh={() => freshConnection(room.id, guest)}
            />
          ) : (
            <GuestEntry
              room={room}
              session={session}
              onAdmitted={(c, ticket, name) => {
                setGuest({ ticket, name });
                setAdmitted(c);
              }}
            />
          )}
          {admin && <LobbyPanel roomId={room.id} open={room.accessLevel === AccessLevel.PUBLIC} />}
        </div>
        <div class="col">
          {room.dialIn && <DialInCard room={room} dialIn={room.dialIn} />}
          {admin && <RecordingPanel roomId={room.id} config={config?.recording} />}
          {admin && <MembersPanel roomId={room.id} myRole={room.role} />}
          {admin && <InviteForm roomId={room.id} />}
          {admin && <Settings room={room} onSaved={setRoom} />}
        </div>
      </div>
    </>
  );
}

// freshConnection asks for a new LiveKit token before a join: tokens live
// minutes, and the core re-checks that the person may still come in. Guests
// ask the lobby again with their ticket (an open room, or a host's admission
// that still stands); signed-in people ask RefreshToken.
async function freshConnection(room: string, guest: { ticket: string; name: string } | null): Promise<LiveKitConnection> {
  if (!guest) {
    const res = await rooms.refreshToken({ room });
    if (res.livekit) return res.livekit;
  } else {
    const res = await lobby.requestEntry({ room, username: guest.name, ticket: guest.ticket });
    if (res.livekit) return res.livekit;
  }
  throw new Error("no longer admitted to this room");
}

function DialInCard({ room, dialIn }: { room: Room; dialIn: DialIn }) {
  const t = useT();
  if (dialIn.numbers.length === 0 || !dialIn.pin) {
    return (
      <Card id="dialin-title" title={t("dialin.title")}>
        <p class="muted">{t("dialin.none")}</p>
      </Card>
    );
  }
  const groups = groupPin(dialIn.pin);
  const text = t("dialin.text", {
    room: room.name,
    numbers: dialIn.numbers.map((n) => n.display || n.e164).join(` ${t("dialin.or")} `),
    pin: groups.join(" "),
  });
  return (
    <Card id="dialin-title" title={t("dialin.title")}>
      <p>{t("dialin.call")}</p>
      <ul class="numbers">
        {dialIn.numbers.map((n) => (
          <li key={n.e164}>
            <a href={n.telUri || `tel:${n.e164}`} class="number" data-testid="dialin-number">
              {n.display || n.e164}
            </a>{" "}
            {n.region && <span class="muted">({n.region})</span>}
          </li>
        ))}
      </ul>
      <p>{t("dialin.then")}</p>
      <p class="pin-line">
        <span class="pin-label" id="pin-label">
          {t("dialin.pin")}
        </span>{" "}
        <span class="pin" data-testid="pin" aria-labelledby="pin-label" aria-describedby="pin-digits">
          {groups.map((g, i) => (
            <span key={i} class="pin-group">
              {g}
            </span>
          ))}
          <span class="pin-hash" aria-hidden="true">
            #
          </span>
        </span>
        <span id="pin-digits" class="visually-hidden">
          {dialIn.pin.split("").join(" ")}
        </span>
      </p>
      <div class="actions">
        <CopyButton text={dialIn.pin} label={t("dialin.copyPin")} />
        <CopyButton text={text} label={t("dialin.copy")} />
      </div>
    </Card>
  );
}

function Settings({ room, onSaved }: { room: Room; onSaved: (r: Room) => void }) {
  const t = useT();
  const [level, setLevel] = useState(room.accessLevel);
  const [phoneFirst, setPhoneFirst] = useState(room.configuration?.["phone_callers_first"] === true);
  const [done, setDone] = useState("");
  const [error, setError] = useState("");

  async function save(e: Event) {
    e.preventDefault();
    setDone("");
    setError("");
    try {
      const res = await rooms.updateRoom({
        id: room.id,
        accessLevel: level,
        configuration: { ...(room.configuration ?? {}), phone_callers_first: phoneFirst },
      });
      if (res.room) onSaved(res.room);
      setDone(t("settings.saved"));
    } catch (err) {
      setError(errorText(t, err));
    }
  }

  return (
    <Card id="settings-title" title={t("settings.title")}>
      <form class="stack" onSubmit={save}>
        <AccessSelect id="settings-access" value={level} onChange={setLevel} />
        <label class="check">
          <input type="checkbox" checked={phoneFirst} onChange={(e) => setPhoneFirst(e.currentTarget.checked)} />{" "}
          {t("rooms.phoneFirst")}
        </label>
        <div class="actions">
          <button type="submit">{t("settings.save")}</button>
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
    </Card>
  );
}

export function AccessSelect({ id, value, onChange }: { id: string; value: AccessLevel; onChange: (l: AccessLevel) => void }) {
  const t = useT();
  const levels = [AccessLevel.PUBLIC, AccessLevel.TRUSTED, AccessLevel.RESTRICTED];
  return (
    <fieldset>
      <legend>{t("rooms.access")}</legend>
      {levels.map((l) => (
        <label class="check" key={l}>
          <input
            type="radio"
            name={id}
            value={accessKey(l)}
            checked={value === l}
            onChange={() => onChange(l)}
          />{" "}
          {t(`access.${accessKey(l)}`)}
        </label>
      ))}
    </fieldset>
  );
}
