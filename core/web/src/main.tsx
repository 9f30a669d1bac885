// meetline's web console: a single-page app served by the core (web.go).
//
//   /          sign-in, then the person's rooms
//   /<slug>    a room (the address invitations link to)
//   /recordings/<id>  a recording (the address "recording ready" links to), after sign-in
//   /operator/trunks, /operator/live, /operator/calls  the operators' pages, after sign-in
//   /console/settings  the person's language and time zone
import "./style.css";
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { config as configService, setUnauthenticatedHandler, users } from "./api";
import { type ConsoleConfig, currentSession, loadConfig, oidcCallback, type Session, setSessionName, signOut } from "./auth";
import type { GetConfigResponse } from "./gen/meetline/v1/config_pb";
import { I18n, initialLang, type Lang, languages, saveLang, translator } from "./i18n";
import { OperatorCalls } from "./OperatorCalls";
import { OperatorLive } from "./OperatorLive";
import { type OperatorPage, operatorPages } from "./OperatorNav";
import { OperatorTrunks } from "./OperatorTrunks";
import { RecordingPage } from "./RecordingPage";
import { RoomPage } from "./RoomPage";
import { RoomsPage } from "./RoomsPage";
import { SettingsPage } from "./SettingsPage";
import { SignIn } from "./SignIn";
import { Link, navigate } from "./ui";

function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const f = () => setPath(location.pathname);
    addEventListener("popstate", f);
    return () => removeEventListener("popstate", f);
  }, []);
  return path;
}

function App() {
  const [lang, setLang] = useState<Lang>(initialLang());
  const t = useMemo(() => translator(lang), [lang]);
  const path = usePath();
  const [session, setSession] = useState<Session | null>(currentSession());
  const [consoleConfig, setConsoleConfig] = useState<ConsoleConfig | null>(null);
  const [config, setConfig] = useState<GetConfigResponse | undefined>();
  const [notice, setNotice] = useState("");
  const [error, setError] = useState("");
  const [operator, setOperator] = useState(false);

  useEffect(() => saveLang(lang), [lang]);
  useEffect(() => {
    setOperator(false);
    if (session)
      users
        .getMe({})
        .then((res) => setOperator(res.user?.operator ?? false))
        .catch(() => {});
  }, [session?.token]);
  useEffect(() => {
    setUnauthenticatedHandler(() => {
      signOut();
      setSession(null);
      setNotice(t("signin.expired"));
    });
  }, [t]);
  useEffect(() => {
    loadConfig()
      .then(async (c) => {
        setConsoleConfig(c);
        const next = await oidcCallback(c);
        if (next !== null) {
          setSession(currentSession());
          navigate(next);
          // The core signs the person in; when the token named nobody, it
          // asked the provider's userinfo, and knows the name now.
          users
            .getMe({})
            .then((me) => {
              setSessionName(me.user?.fullName ?? "");
              setSession(currentSession());
            })
            .catch(() => {});
        }
      })
      .catch((e) => setError(t("signin.failed", { msg: e instanceof Error ? e.message : String(e) })));
    configService
      .getConfig({})
      .then(setConfig)
      .catch(() => {});
  }, []);
  useEffect(() => {
    if (path === "/") document.title = "meetline";
    document.getElementById("main")?.focus();
  }, [path]);

  const slug = path.replace(/^\/+|\/+$/g, "");
  const next = new URLSearchParams(location.search).get("next") ?? "/";
  const recording = /^recordings\/([0-9a-f-]{36})$/.exec(slug)?.[1];
  const opPage = operatorPages.find((p) => slug === `operator/${p}`);
  let page;
  if (path === "/console/settings" && session) {
    page = <SettingsPage onLanguage={setLang} />;
  } else if (recording && session) {
    page = <RecordingPage key={recording} id={recording} />;
  } else if (opPage && session) {
    page = operatorPage(opPage);
  } else if ((recording || opPage || path === "/console/settings") && consoleConfig) {
    // Signed in, the page shows the recording the e-mail linked to, the operator's page, or the settings.
    page = (
      <SignIn
        config={consoleConfig}
        next={path}
        notice={notice}
        onSignedIn={(s) => {
          setSession(s);
          setNotice("");
        }}
      />
    );
  } else if (slug !== "" && !recording && !opPage && path !== "/console/settings") {
    page = <RoomPage key={slug} slug={slug} session={session} config={config} />;
  } else if (session) {
    page = <RoomsPage />;
  } else if (consoleConfig) {
    page = (
      <SignIn
        config={consoleConfig}
        next={next}
        notice={notice}
        onSignedIn={(s) => {
          setSession(s);
          setNotice("");
          navigate(next.startsWith("/") && !next.startsWith("//") ? next : "/");
        }}
      />
    );
  } else {
    page = <p role="status">{error || t("room.loading")}</p>;
  }

  return (
    <I18n.Provider value={{ lang, t }}>
      <a class="skip" href="#main">
        {t("app.skip")}
      </a>
      <header class="top">
        <Link href="/" class="brand">
          meetline
        </Link>
        <nav aria-label="meetline">
          {session && <Link href="/">{t("nav.rooms")}</Link>}
          {session && operator && <Link href="/operator/live">{t("nav.operator")}</Link>}
          {session && <Link href="/console/settings">{t("nav.settings")}</Link>}
        </nav>
        <div class="me">
          <label for="lang" class="visually-hidden">
            {t("nav.language")}
          </label>
          <select id="lang" value={lang} onChange={(e) => setLang(e.currentTarget.value as Lang)}>
            {languages.map((l) => (
              <option key={l.lang} value={l.lang} lang={l.lang}>
                {l.name}
              </option>
            ))}
          </select>
          {session && (
            <>
              <span class="muted" data-testid="me">
                {t("nav.signedInAs", { name: session.name || session.email })}
              </span>
              <button
                type="button"
                onClick={() => {
                  signOut();
                  setSession(null);
                  navigate("/");
                }}
              >
                {t("nav.signOut")}
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </I18n.Provider>
  );
}

function operatorPage(p: OperatorPage) {
  switch (p) {
    case "trunks":
      return <OperatorTrunks />;
    case "live":
      return <OperatorLive />;
    case "calls":
      return <OperatorCalls />;
  }
}

render(<App />, document.getElementById("app")!);
