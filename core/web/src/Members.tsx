// A room's members, for its administrators and owners: who has which role,
// the roles given by e-mail that wait for their invitee's first sign-in, and
// adding someone by address. The rules are the core's (core.CanGrant):
// administrators manage members and administrators, only owners touch
// "owner"; the core refuses anything else, and the panel does not offer it.
import { Code } from "@connectrpc/connect";
import { useEffect, useState } from "preact/hooks";
import { accesses, errorText, isCode } from "./api";
import type { PendingAccess } from "./gen/meetline/v1/access_pb";
import { Role } from "./gen/meetline/v1/common_pb";
import type { RoomAccess } from "./gen/meetline/v1/room_pb";
import { roleName } from "./format";
import { useT } from "./i18n";
import { Card } from "./ui";

const allRoles = [Role.MEMBER, Role.ADMINISTRATOR, Role.OWNER];

/** canGrant is core.CanGrant: may someone with role mine give, change or take away target? */
export function canGrant(mine: Role, target: Role): boolean {
  if (target === Role.OWNER) return mine === Role.OWNER;
  return mine === Role.ADMINISTRATOR || mine === Role.OWNER;
}

export function MembersPanel({ roomId, myRole }: { roomId: string; myRole: Role }) {
  const t = useT();
  const [list, setList] = useState<{ accesses: RoomAccess[]; pending: PendingAccess[] } | null>(null);
  const [said, setSaid] = useState("");
  const [error, setError] = useState("");

  async function reload() {
    try {
      const res = await accesses.listAccesses({ roomId });
      setList({ accesses: res.accesses, pending: res.pending });
    } catch (e) {
      setError(errorText(t, e));
    }
  }
  useEffect(() => {
    reload();
  }, [roomId]);

  /** act runs a change, says what happened, and reads the list again. */
  async function act(f: () => Promise<unknown>, done: string) {
    setSaid("");
    setError("");
    try {
      await f();
      setSaid(done);
    } catch (e) {
      setError(errorText(t, e));
    }
    await reload();
  }

  const offered = allRoles.filter((r) => canGrant(myRole, r));
  return (
    <Card id="members-title" title={t("members.title")}>
      <AddMember roomId={roomId} roles={offered} onAdded={(msg) => {
          setSaid(msg);
          reload();
        }} />
      {list && (
        <ul class="members" data-testid="members">
          {list.accesses.map((a) => {
            const name = a.userFullName || a.userShortName || t("members.noName");
            const editable = canGrant(myRole, a.role);
            return (
              <li key={a.id} data-testid="member">
                <span class="member-name">{name}</span>{" "}
                <RoleSelect
                  label={t("members.roleOf", { name })}
                  value={a.role}
                  roles={editable ? offered : [a.role]}
                  disabled={!editable}
                  onChange={(role) =>
                    act(() => accesses.updateAccess({ id: a.id, role }), t("members.changed", { name, role: roleName(t, role) }))
                  }
                />{" "}
                {editable && (
                  <button
                    type="button"
                    onClick={() => act(() => accesses.removeAccess({ id: a.id }), t("members.removed", { name }))}
                  >
                    {t("members.remove", { name })}
                  </button>
                )}
              </li>
            );
          })}
          {list.pending.map((p) => {
            const editable = canGrant(myRole, p.role);
            return (
              <li key={p.id} data-testid="pending">
                <span class="member-name">{p.email}</span> <span class="muted">{t("members.pending")}</span>{" "}
                <RoleSelect
                  label={t("members.roleOf", { name: p.email })}
                  value={p.role}
                  roles={editable ? offered : [p.role]}
                  disabled={!editable}
                  onChange={(role) =>
                    act(
                      () => accesses.updatePendingAccess({ id: p.id, role }),
                      t("members.changed", { name: p.email, role: roleName(t, role) }),
                    )
                  }
                />{" "}
                {editable && (
                  <button
                    type="button"
                    onClick={() =>
                      act(() => accesses.removePendingAccess({ id: p.id }), t("members.cancelled", { name: p.email }))
                    }
                  >
                    {t("members.cancel", { name: p.email })}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <p role="status" class="ok">
        {said}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </Card>
  );
}

function RoleSelect(props: { label: string; value: Role; roles: Role[]; disabled: boolean; onChange: (r: Role) => void }) {
  const t = useT();
  return (
    <select
      aria-label={props.label}
      value={String(props.value)}
      disabled={props.disabled}
      onChange={(e) => props.onChange(Number(e.currentTarget.value) as Role)}
    >
      {props.roles.map((r) => (
        <option key={r} value={String(r)}>
          {roleName(t, r)}
        </option>
      ))}
    </select>
  );
}

/** AddMember adds someone by address, after showing whom it names (FindUser). */
function AddMember({ roomId, roles, onAdded }: { roomId: string; roles: Role[]; onAdded: (msg: string) => void }) {
  const t = useT();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState(Role.MEMBER);
  const [who, setWho] = useState("");
  const [error, setError] = useState("");

  async function lookUp() {
    setWho("");
    setError("");
    try {
      const u = await accesses.findUser({ roomId, email: email.trim() });
      const name = u.fullName || u.shortName || email.trim();
      setWho(u.role ? t("members.foundWithRole", { name, role: roleName(t, u.role) }) : t("members.found", { name }));
    } catch (e) {
      if (isCode(e, Code.NotFound)) setWho(t("members.unknown"));
      else setError(errorText(t, e));
    }
  }

  async function add(e: Event) {
    e.preventDefault();
    setError("");
    try {
      const res = await accesses.addAccess({ roomId, email: email.trim(), role });
      const address = email.trim();
      setEmail("");
      setWho("");
      onAdded(res.pending ? t("members.addedPending", { email: address }) : t("members.added", { email: address }));
    } catch (err) {
      setError(errorText(t, err));
    }
  }

  return (
    <form class="stack" onSubmit={add}>
      <label for="member-email">{t("members.email")}</label>
      <input
        id="member-email"
        type="email"
        required
        value={email}
        onInput={(e) => {
          setEmail(e.currentTarget.value);
          setWho("");
        }}
      />
      <label for="member-role">{t("members.role")}</label>
      <select id="member-role" value={String(role)} onChange={(e) => setRole(Number(e.currentTarget.value) as Role)}>
        {roles.map((r) => (
          <option key={r} value={String(r)}>
            {roleName(t, r)}
          </option>
        ))}
      </select>
      <div class="actions">
        <button type="button" onClick={lookUp} disabled={!email.includes("@")}>
          {t("members.lookUp")}
        </button>
        <button type="submit" class="primary">
          {t("members.add")}
        </button>
      </div>
      <p role="status" class="muted" data-testid="member-lookup">
        {who}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
