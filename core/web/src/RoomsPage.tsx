// The signed-in person's rooms, newest first, and the form that creates one.
import { useEffect, useState } from "preact/hooks";
import { errorText, rooms, users } from "./api";
import { AccessLevel } from "./gen/meetline/v1/common_pb";
import type { Room } from "./gen/meetline/v1/room_pb";
import { accessKey, groupPin, roleName } from "./format";
import { useT } from "./i18n";
import { AccessSelect } from "./RoomPage";
import { Link, navigate } from "./ui";

export function RoomsPage() {
  const t = useT();
  const [list, setList] = useState<Room[] | null>(null);
  const [error, setError] = useState("");
  const [name, setName] = useState("");
  const [level, setLevel] = useState(AccessLevel.PUBLIC);
  const [phoneFirst, setPhoneFirst] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    rooms
      .listRooms({ pageSize: 100 })
      .then((res) => setList(res.rooms))
      .catch((e) => setError(errorText(t, e)));
    users
      .getMe({})
      .then((res) => {
        const l = res.user?.defaultRoomAccessLevel;
        if (l) setLevel(l);
      })
      .catch(() => {});
  }, []);

  async function create(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const res = await rooms.createRoom({
        name: name.trim(),
        accessLevel: level,
        configuration: phoneFirst ? { phone_callers_first: true } : undefined,
      });
      if (res.room) navigate(`/${res.room.slug}`);
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>{t("rooms.title")}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="grid">
        <section class="col" aria-label={t("rooms.title")}>
          {list === null ? (
            <p role="status">{t("room.loading")}</p>
          ) : list.length === 0 ? (
            <p class="muted">{t("rooms.empty")}</p>
          ) : (
            <ul class="rooms" data-testid="rooms">
              {list.map((r) => (
                <li key={r.id} class="card">
                  <Link href={`/${r.slug}`} class="room-name">
                    {r.name}
                  </Link>
                  <span class="badge">{t(`accessShort.${accessKey(r.accessLevel)}`)}</span>
                  <span class="muted">{roleName(t, r.role)}</span>
                  {r.dialIn?.pin && (
                    <span class="muted">
                      {t("dialin.pin")} {groupPin(r.dialIn.pin).join(" ")}
                    </span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section class="col card" aria-labelledby="create-title">
          <h2 id="create-title">{t("rooms.create")}</h2>
          <form class="stack" onSubmit={create}>
            <label for="room-name">{t("rooms.name")}</label>
            <input
              id="room-name"
              name="name"
              required
              maxLength={500}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
            <AccessSelect id="create-access" value={level} onChange={setLevel} />
            <label class="check">
              <input type="checkbox" checked={phoneFirst} onChange={(e) => setPhoneFirst(e.currentTarget.checked)} />{" "}
              {t("rooms.phoneFirst")}
            </label>
            <div class="actions">
              <button type="submit" class="primary" disabled={busy}>
                {t("rooms.submit")}
              </button>
            </div>
          </form>
        </section>
      </div>
    </>
  );
}
