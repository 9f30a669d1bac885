// The signed-in person's own settings (UserService.UpdateMe): the language
// and time zone of the e-mail the core sends them (invitations, "your
// recording is ready"). The identity provider's locale and zoneinfo fill
// them in at sign-in until the person chooses here; after that, their choice
// stays. The marketing list takes nobody who did not tick its box here.
import { useEffect, useState } from "preact/hooks";
import { errorText, users } from "./api";
import type { User } from "./gen/meetline/v1/user_pb";
import { type Lang, useT } from "./i18n";
import { Card } from "./ui";

/** The core's languages (core.Languages), each with the console's own. */
const mailLanguages: { code: string; name: string; ui: Lang }[] = [
  { code: "en-us", name: "English", ui: "en" },
  { code: "fr-fr", name: "Français", ui: "fr" },
  { code: "de-de", name: "Deutsch", ui: "de" },
  { code: "nl-nl", name: "Nederlands", ui: "nl" },
];

function timeZones(current: string): string[] {
  const zones = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  const all = new Set(["UTC", ...zones]);
  if (current) all.add(current);
  return [...all].sort();
}

export function SettingsPage({ onLanguage }: { onLanguage: (l: Lang) => void }) {
  const t = useT();
  const [me, setMe] = useState<User | null>(null);
  const [language, setLanguage] = useState("");
  const [zone, setZone] = useState("");
  const [consent, setConsent] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState("");

  useEffect(() => {
    document.title = `${t("me.title")} · meetline`;
    users
      .getMe({})
      .then((res) => {
        setMe(res.user ?? null);
        setLanguage(res.user?.language || "en-us");
        setZone(res.user?.timezone || "UTC");
        setConsent(res.user?.marketingConsent ?? false);
      })
      .catch((e) => setError(errorText(t, e)));
  }, []);

  async function save(e: Event) {
    e.preventDefault();
    setSaved(false);
    setError("");
    try {
      // Consent goes only when it changed: turning it on queues the sign-up.
      const changed = consent !== (me?.marketingConsent ?? false);
      const res = await users.updateMe({ language, timezone: zone, ...(changed ? { marketingConsent: consent } : {}) });
      setMe(res.user ?? null);
      setSaved(true);
      const ui = mailLanguages.find((l) => l.code === language)?.ui;
      if (ui) onLanguage(ui);
    } catch (err) {
      setError(errorText(t, err));
    }
  }

  if (!me && !error) return <p role="status">{t("room.loading")}</p>;
  return (
    <>
      <h1>{t("me.title")}</h1>
      <Card id="me-mail-title" title={t("me.mail")}>
        <p class="muted">{t("me.intro")}</p>
        <form class="stack" onSubmit={save}>
          <label for="me-language">{t("me.language")}</label>
          <select id="me-language" value={language} onChange={(e) => setLanguage(e.currentTarget.value)}>
            {mailLanguages.map((l) => (
              <option key={l.code} value={l.code} lang={l.ui}>
                {l.name}
              </option>
            ))}
          </select>
          <label for="me-timezone">{t("me.timezone")}</label>
          <select id="me-timezone" value={zone} onChange={(e) => setZone(e.currentTarget.value)}>
            {timeZones(zone).map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
          <label class="check">
            <input id="me-marketing" type="checkbox" checked={consent} onChange={(e) => setConsent(e.currentTarget.checked)} />
            {t("me.marketing")}
          </label>
          <div class="actions">
            <button type="submit" class="primary">
              {t("me.save")}
            </button>
          </div>
          <p role="status" class="ok">
            {saved && t("me.saved")}
          </p>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
        </form>
      </Card>
    </>
  );
}
