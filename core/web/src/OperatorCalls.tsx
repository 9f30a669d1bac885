// Operators: the call history (filters, pages, CSV for billing), calls per
// hour by outcome, and the numbers someone is guessing PINs on.
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import { calls, errorText, trunks } from "./api";
import { CallChart } from "./CallChart";
import type { CallFilter, CountCallsResponse, NumberCount } from "./gen/meetline/v1/call_pb";
import type { CallRecord } from "./gen/meetline/v1/telephony_pb";
import type { Trunk } from "./gen/meetline/v1/trunk_pb";
import { useLang, useT } from "./i18n";
import { duration } from "./OperatorLive";
import { OperatorNav } from "./OperatorNav";

interface Filter {
  from: string; // datetime-local, the browser's time zone
  to: string;
  trunkId: string;
  number: string;
  roomId: string;
  outcome: string;
}

/** A number is under attack when most of its calls end on a wrong PIN, and they are more than a slip. */
const attackShare = 0.5;
const attackCalls = 10;

export function underAttack(n: NumberCount): boolean {
  return Number(n.wrongPin) >= attackCalls && Number(n.wrongPin) >= attackShare * Number(n.calls);
}

/** "2026-12-06T09:30" for a datetime-local input, in the browser's time zone. */
function localInput(d: Date): string {
  const off = d.getTimezoneOffset() * 60_000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}

function toProto(f: Filter): CallFilter {
  return {
    $typeName: "meetline.v1.CallFilter",
    startTime: f.from ? timestampFromDate(new Date(f.from)) : undefined,
    endTime: f.to ? timestampFromDate(new Date(f.to)) : undefined,
    trunkId: f.trunkId,
    calledNumber: f.number.trim(),
    roomId: f.roomId.trim(),
    outcome: f.outcome.trim(),
  };
}

export function OperatorCalls() {
  const t = useT();
  const [filter, setFilter] = useState<Filter>({
    from: localInput(new Date(Date.now() - 24 * 3600_000)),
    to: "",
    trunkId: "",
    number: "",
    roomId: "",
    outcome: "",
  });
  const [applied, setApplied] = useState(filter);
  const [list, setList] = useState<CallRecord[] | null>(null);
  const [next, setNext] = useState("");
  const [counts, setCounts] = useState<CountCallsResponse | null>(null);
  const [trunkList, setTrunkList] = useState<Trunk[]>([]);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function search(f: Filter, token = "") {
    setError("");
    setBusy(true);
    try {
      const res = await calls.listCalls({ filter: toProto(f), pageSize: 50, pageToken: token });
      setList(token ? [...(list ?? []), ...res.calls] : res.calls);
      setNext(res.nextPageToken);
      if (!token) {
        setApplied(f);
        setCounts(await calls.countCalls({ filter: toProto(f) }));
      }
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  }

  async function exportCSV() {
    setError("");
    setBusy(true);
    try {
      const parts: BlobPart[] = [];
      for await (const res of calls.exportCalls({ filter: toProto(applied) })) parts.push(new Uint8Array(res.csv));
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob(parts, { type: "text/csv" }));
      a.download = `calls-${new Date().toISOString().slice(0, 10)}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    search(filter);
    trunks
      .listTrunks({})
      .then((res) => setTrunkList(res.trunks))
      .catch(() => {});
  }, []);

  const set = (patch: Partial<Filter>) => setFilter({ ...filter, ...patch });
  const outcomes = counts?.outcomes.map((o) => o.outcome).filter((o) => o !== "") ?? [];
  return (
    <>
      <OperatorNav />
      <h1>{t("calls.title")}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <form
        class="filters"
        aria-label={t("calls.filters")}
        onSubmit={(e) => {
          e.preventDefault();
          search(filter);
        }}
      >
        <label>
          {t("calls.from")}
          <input type="datetime-local" value={filter.from} onInput={(e) => set({ from: e.currentTarget.value })} />
        </label>
        <label>
          {t("calls.to")}
          <input type="datetime-local" value={filter.to} onInput={(e) => set({ to: e.currentTarget.value })} />
        </label>
        <label>
          {t("calls.trunk")}
          <select value={filter.trunkId} onChange={(e) => set({ trunkId: e.currentTarget.value })}>
            <option value="">{t("calls.any")}</option>
            {trunkList.map((tr) => (
              <option key={tr.id} value={tr.id}>
                {tr.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("calls.called")}
          <input value={filter.number} onInput={(e) => set({ number: e.currentTarget.value })} />
        </label>
        <label>
          {t("calls.room")}
          <input value={filter.roomId} onInput={(e) => set({ roomId: e.currentTarget.value })} />
        </label>
        <label>
          {t("calls.outcome")}
          <input list="outcomes" value={filter.outcome} onInput={(e) => set({ outcome: e.currentTarget.value })} />
          <datalist id="outcomes">
            {outcomes.map((o) => (
              <option key={o} value={o} />
            ))}
          </datalist>
        </label>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {t("calls.search")}
          </button>
          <button type="button" onClick={exportCSV} disabled={busy}>
            {t("calls.export")}
          </button>
        </div>
      </form>

      <section class="card" aria-labelledby="chart-title">
        <h2 id="chart-title">{t("calls.chart")}</h2>
        {counts && <CallChart hours={counts.hours} />}
      </section>

      <section class="card" aria-labelledby="attack-title">
        <h2 id="attack-title">{t("attack.title")}</h2>
        <p class="muted">{t("attack.intro", { share: attackShare * 100, calls: attackCalls })}</p>
        {counts && <Numbers numbers={counts.numbers} />}
      </section>

      <section class="card" aria-labelledby="history-title">
        <h2 id="history-title">{t("calls.history")}</h2>
        {list === null ? (
          <p role="status">{t("room.loading")}</p>
        ) : list.length === 0 ? (
          <p class="muted">{t("calls.noneFound")}</p>
        ) : (
          <CallTable list={list} />
        )}
        {next && (
          <div class="actions">
            <button type="button" onClick={() => search(applied, next)} disabled={busy}>
              {t("calls.more")}
            </button>
          </div>
        )}
      </section>
    </>
  );
}

function Numbers({ numbers }: { numbers: NumberCount[] }) {
  const t = useT();
  const guessed = numbers.filter((n) => n.wrongPin > 0);
  if (guessed.length === 0) return <p class="muted">{t("attack.none")}</p>;
  return (
    <table data-testid="numbers">
      <thead>
        <tr>
          <th scope="col">{t("calls.called")}</th>
          <th scope="col">{t("attack.calls")}</th>
          <th scope="col">{t("attack.wrong")}</th>
          <th scope="col">{t("attack.state")}</th>
        </tr>
      </thead>
      <tbody>
        {guessed.map((n) => (
          <tr key={n.calledNumber}>
            <th scope="row">{n.calledNumber}</th>
            <td>{String(n.calls)}</td>
            <td>
              {String(n.wrongPin)} ({Math.round((100 * Number(n.wrongPin)) / Number(n.calls))} %)
            </td>
            <td>{underAttack(n) ? <span class="badge danger">{t("attack.yes")}</span> : t("attack.no")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CallTable({ list }: { list: CallRecord[] }) {
  const t = useT();
  const lang = useLang();
  const when = (c: CallRecord) => (c.startTime ? timestampDate(c.startTime).toLocaleString(lang, { dateStyle: "short", timeStyle: "medium" }) : "");
  const length = (c: CallRecord) =>
    c.startTime && c.endTime ? duration(timestampDate(c.endTime).getTime() - timestampDate(c.startTime).getTime()) : "";
  return (
    <table data-testid="calls">
      <thead>
        <tr>
          <th scope="col">{t("calls.start")}</th>
          <th scope="col">{t("calls.called")}</th>
          <th scope="col">{t("calls.caller")}</th>
          <th scope="col">{t("calls.duration")}</th>
          <th scope="col">{t("calls.outcome")}</th>
          <th scope="col">{t("calls.pin")}</th>
          <th scope="col">{t("calls.admission")}</th>
          <th scope="col">{t("calls.hangup")}</th>
          <th scope="col">{t("calls.instance")}</th>
        </tr>
      </thead>
      <tbody>
        {list.map((c) => (
          <tr key={c.id} data-outcome={c.outcome}>
            <td>{when(c)}</td>
            <td>{c.calledNumber}</td>
            <td>{c.callerMasked || t("calls.anonymous")}</td>
            <td>{length(c)}</td>
            <td>{c.final ? c.outcome : <span class="badge live">{t("calls.inProgress")}</span>}</td>
            <td>{c.pinOutcome}</td>
            <td>{[c.admission, c.handoff].filter((x) => x).join(", ")}</td>
            <td title={c.reason}>
              {c.hangupBy}
              {c.sipCode ? ` (${c.sipCode})` : ""}
            </td>
            <td>{c.instance}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
