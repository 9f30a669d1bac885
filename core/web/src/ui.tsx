import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { useT } from "./i18n";

/** A polite live region: screen readers read text out when it changes. */
export function Announce({ text }: { text: string }) {
  return (
    <p class="visually-hidden" aria-live="polite" aria-atomic="true">
      {text}
    </p>
  );
}

/** A button that copies text and says whether it worked. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const t = useT();
  const [said, setSaid] = useState("");
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setSaid(t("dialin.copied"));
    } catch {
      setSaid(t("dialin.copyFailed"));
    }
    setTimeout(() => setSaid(""), 4000);
  }
  return (
    <span class="copy">
      <button type="button" onClick={copy}>
        {label}
      </button>
      <span role="status" class="muted">
        {said}
      </span>
    </span>
  );
}

export function Card({ title, id, children }: { title: string; id: string; children: ComponentChildren }) {
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A link inside the app: the history API instead of a page load. */
export function Link({ href, children, class: cls }: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={href}
      class={cls}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

export function navigate(path: string) {
  history.pushState(null, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
}
