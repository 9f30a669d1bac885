// The operators' pages, one link each (shown to users with the operator role).
import { useT } from "./i18n";
import { Link } from "./ui";

export const operatorPages = ["trunks", "live", "calls"] as const;
export type OperatorPage = (typeof operatorPages)[number];

export function OperatorNav() {
  const t = useT();
  return (
    <nav class="tabs" aria-label={t("operator.nav")}>
      <Link href="/operator/trunks">{t("operator.trunks")}</Link>
      <Link href="/operator/live">{t("operator.live")}</Link>
      <Link href="/operator/calls">{t("operator.calls")}</Link>
    </nav>
  );
}
