import { useState } from "preact/hooks";
import { type ConsoleConfig, devSignIn, oidcSignIn, type Session } from "./auth";
import { errorText } from "./api";
import { useT } from "./i18n";

export function SignIn({
  config,
  next,
  notice,
  onSignedIn,
}: {
  config: ConsoleConfig;
  next: string;
  notice?: string;
  onSignedIn: (s: Session) => void;
}) {
  const t = useT();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function dev(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      onSignedIn(await devSignIn(name.trim(), email.trim()));
    } catch (err) {
      setError(t("signin.failed", { msg: errorText(t, err) }));
    } finally {
      setBusy(false);
    }
  }

  async function oidc() {
    setBusy(true);
    setError("");
    try {
      await oidcSignIn(config, next);
    } catch (err) {
      setError(t("signin.failed", { msg: errorText(t, err) }));
      setBusy(false);
    }
  }

  return (
    <section class="card narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">{t("signin.title")}</h1>
      {notice && <p role="status">{notice}</p>}
      {config.signIn === "dev" && (
        <form class="stack" onSubmit={dev}>
          <p class="muted">{t("signin.devIntro")}</p>
          <label for="signin-name">{t("signin.name")}</label>
          <input
            id="signin-name"
            name="name"
            required
            autocomplete="name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <label for="signin-email">{t("signin.email")}</label>
          <input
            id="signin-email"
            name="email"
            type="email"
            required
            autocomplete="email"
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              {t("signin.submit")}
            </button>
          </div>
        </form>
      )}
      {config.signIn === "oidc" && (
        <div class="stack">
          <p>{t("signin.oidcIntro")}</p>
          <div class="actions">
            <button type="button" class="primary" onClick={oidc} disabled={busy}>
              {t("signin.oidc")}
            </button>
          </div>
        </div>
      )}
      {config.signIn === "none" && <p>{t("signin.none")}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
