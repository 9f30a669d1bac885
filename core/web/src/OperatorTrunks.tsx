// Operators: the trunks (PIN namespaces), their numbers and settings, and how
// full each one's PIN space is, with the arithmetic of docs/operations.md.
import { useEffect, useState } from "preact/hooks";
import { errorText, trunks } from "./api";
import { Handoff, type Trunk } from "./gen/meetline/v1/trunk_pb";
import { type T, useT } from "./i18n";
import { OperatorNav } from "./OperatorNav";

/** The prompts' languages (core.Languages). */
const promptLanguages = ["en-us", "fr-fr", "nl-nl", "de-de"];

/** The core's default PIN_RETRIES: draws in one trunk before it tries the next. */
const pinRetries = 5;

/** Beyond this share of a trunk's PIN space, guessing gets too easy (operations.md): add a trunk. */
const fillLimit = 1e-5;

/**
 * pinSpace is the collision arithmetic of a trunk with `rooms` rooms and PINs
 * of `digits` digits: a drawn PIN is taken (and a guess hits a room) with
 * probability p; all the core's draws collide with p^retries; a guesser
 * needs 1/p guesses on average.
 */
export function pinSpace(rooms: number, digits: number) {
  const p = rooms / 10 ** digits;
  return { p, skipped: p ** pinRetries, guesses: p > 0 ? 1 / p : Infinity };
}

/** A probability for people: "0", "3 %", "1.0 × 10⁻⁵". */
export function probability(p: number): string {
  if (p === 0) return "0";
  if (p >= 0.01) return `${Math.round(p * 100)} %`;
  const exp = Math.floor(Math.log10(p));
  const sup = String(exp).replace(/[-0-9]/g, (c) => "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"["-0123456789".indexOf(c)]);
  return `${(p / 10 ** exp).toFixed(1)} × 10${sup}`;
}

interface Draft {
  name: string;
  numbers: string;
  language: string;
  pinLength: number;
  handoff: Handoff;
  enabled: boolean;
}

function draftOf(tr?: Trunk): Draft {
  return {
    name: tr?.name ?? "",
    numbers: tr?.numbers.join("\n") ?? "",
    language: tr?.language ?? "en-us",
    pinLength: tr?.pinLength ?? 10,
    handoff: tr?.handoff || Handoff.BRIDGE,
    enabled: tr?.enabled ?? true,
  };
}

function numbersOf(d: Draft): string[] {
  return d.numbers
    .split(/[\n,;]+/)
    .map((n) => n.trim())
    .filter((n) => n !== "");
}

export function OperatorTrunks() {
  const t = useT();
  const [list, setList] = useState<Trunk[] | null>(null);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [editing, setEditing] = useState<string | null>(null); // a trunk's id, or "" for a new one

  function load() {
    trunks
      .listTrunks({})
      .then((res) => setList(res.trunks))
      .catch((e) => setError(errorText(t, e)));
  }
  useEffect(load, []);

  async function save(id: string, d: Draft) {
    setError("");
    try {
      const fields = { name: d.name.trim(), language: d.language, pinLength: d.pinLength, handoff: d.handoff };
      if (id === "") {
        await trunks.createTrunk({ ...fields, numbers: numbersOf(d), enabled: d.enabled });
      } else {
        await trunks.updateTrunk({ id, ...fields, numbers: numbersOf(d), updateNumbers: true, enabled: d.enabled });
      }
      setNotice(t("trunks.saved", { name: d.name.trim() }));
      setEditing(null);
      load();
    } catch (e) {
      setError(errorText(t, e));
    }
  }

  async function setEnabled(tr: Trunk, enabled: boolean) {
    setError("");
    try {
      await trunks.updateTrunk({ id: tr.id, enabled });
      load();
    } catch (e) {
      setError(errorText(t, e));
    }
  }

  return (
    <>
      <OperatorNav />
      <h1>{t("trunks.title")}</h1>
      <p class="muted">{t("trunks.intro", { retries: pinRetries })}</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p role="status" class="ok">
        {notice}
      </p>
      {list === null ? (
        <p role="status">{t("room.loading")}</p>
      ) : list.length === 0 ? (
        <p class="muted">{t("trunks.empty")}</p>
      ) : (
        <table data-testid="trunks">
          <thead>
            <tr>
              <th scope="col">{t("trunks.name")}</th>
              <th scope="col">{t("trunks.numbers")}</th>
              <th scope="col">{t("trunks.language")}</th>
              <th scope="col">{t("trunks.pinLength")}</th>
              <th scope="col">{t("trunks.handoff")}</th>
              <th scope="col">{t("trunks.rooms")}</th>
              <th scope="col">{t("trunks.fill")}</th>
              <th scope="col">{t("trunks.skipped", { retries: pinRetries })}</th>
              <th scope="col">{t("trunks.state")}</th>
              <th scope="col">
                <span class="visually-hidden">{t("trunks.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((tr) => (
              <TrunkRow key={tr.id} tr={tr} onEdit={() => setEditing(tr.id)} onEnable={(on) => setEnabled(tr, on)} />
            ))}
          </tbody>
        </table>
      )}
      {editing !== null && editing !== "" && (
        <TrunkForm
          key={editing}
          title={t("trunks.edit", { name: list?.find((x) => x.id === editing)?.name ?? "" })}
          draft={draftOf(list?.find((x) => x.id === editing))}
          onSave={(d) => save(editing, d)}
          onCancel={() => setEditing(null)}
        />
      )}
      {editing === "" ? (
        <TrunkForm title={t("trunks.create")} draft={draftOf()} onSave={(d) => save("", d)} onCancel={() => setEditing(null)} />
      ) : (
        <div class="actions">
          <button type="button" class="primary" onClick={() => setEditing("")}>
            {t("trunks.create")}
          </button>
        </div>
      )}
    </>
  );
}

function TrunkRow({ tr, onEdit, onEnable }: { tr: Trunk; onEdit: () => void; onEnable: (on: boolean) => void }) {
  const t = useT();
  const s = pinSpace(Number(tr.roomCount), tr.pinLength);
  return (
    <tr data-trunk={tr.name}>
      <th scope="row">{tr.name}</th>
      <td>
        {tr.numbers.map((n) => (
          <div key={n} data-testid="trunk-number">
            {n}
          </div>
        ))}
      </td>
      <td>{tr.language}</td>
      <td>{tr.pinLength}</td>
      <td>{handoffName(t, tr.handoff)}</td>
      <td data-testid="room-count">{String(tr.roomCount)}</td>
      <td class={s.p > fillLimit ? "error" : undefined} title={t("trunks.fillHint", { guesses: Math.round(s.guesses).toLocaleString() })}>
        {probability(s.p)}
        {s.p > fillLimit && <div>{t("trunks.full")}</div>}
      </td>
      <td>{probability(s.skipped)}</td>
      <td>
        <span class="badge">{tr.enabled ? t("trunks.enabled") : t("trunks.disabled")}</span>
      </td>
      <td>
        <div class="row-actions">
          <button type="button" onClick={onEdit} aria-label={t("trunks.editLabel", { name: tr.name })}>
            {t("trunks.editButton")}
          </button>
          <button type="button" onClick={() => onEnable(!tr.enabled)}>
            {tr.enabled ? t("trunks.disable") : t("trunks.enable")}
          </button>
        </div>
      </td>
    </tr>
  );
}

export function handoffName(t: T, h: Handoff): string {
  return h === Handoff.REFER ? t("trunks.handoffRefer") : t("trunks.handoffBridge");
}

function TrunkForm({
  title,
  draft,
  onSave,
  onCancel,
}: {
  title: string;
  draft: Draft;
  onSave: (d: Draft) => Promise<void>;
  onCancel: () => void;
}) {
  const t = useT();
  const [d, setD] = useState(draft);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<Draft>) => setD({ ...d, ...patch });
  return (
    <section class="card" aria-labelledby="trunk-form-title">
      <h2 id="trunk-form-title">{title}</h2>
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          await onSave(d);
          setBusy(false);
        }}
      >
        <label for="trunk-name">{t("trunks.name")}</label>
        <input id="trunk-name" required maxLength={100} value={d.name} onInput={(e) => set({ name: e.currentTarget.value })} />
        <label for="trunk-numbers">{t("trunks.numbers")}</label>
        <textarea id="trunk-numbers" rows={3} value={d.numbers} onInput={(e) => set({ numbers: e.currentTarget.value })} />
        <span class="muted">{t("trunks.numbersHint")}</span>
        <label for="trunk-language">{t("trunks.language")}</label>
        <select id="trunk-language" value={d.language} onChange={(e) => set({ language: e.currentTarget.value })}>
          {promptLanguages.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
        <label for="trunk-pin-length">{t("trunks.pinLength")}</label>
        <input
          id="trunk-pin-length"
          type="number"
          min={4}
          max={16}
          value={d.pinLength}
          onInput={(e) => set({ pinLength: Number(e.currentTarget.value) })}
        />
        <label for="trunk-handoff">{t("trunks.handoff")}</label>
        <select id="trunk-handoff" value={d.handoff} onChange={(e) => set({ handoff: Number(e.currentTarget.value) as Handoff })}>
          <option value={Handoff.BRIDGE}>{t("trunks.handoffBridge")}</option>
          <option value={Handoff.REFER}>{t("trunks.handoffRefer")}</option>
        </select>
        <label class="check">
          <input type="checkbox" checked={d.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />{" "}
          {t("trunks.enabledLabel")}
        </label>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {t("trunks.save")}
          </button>
          <button type="button" onClick={onCancel}>
            {t("trunks.cancel")}
          </button>
        </div>
      </form>
    </section>
  );
}
