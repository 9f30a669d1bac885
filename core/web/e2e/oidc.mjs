// Sign-in through an OpenID provider, in headless Chromium: the console
// sends the browser to the provider's authorization endpoint (code flow with
// PKCE), the provider sends it back with a code, the page trades the code for
// an identity token and the core accepts that token. core/web's Go test
// (TestConsoleOIDCSignIn) runs this against a provider of its own.
//
// Environment: CONSOLE_URL (required), PROVIDER_URL (required: the provider's
// origin, which the browser must visit), EXPECT_NAME (the name the provider
// signs in), SCREENSHOTS, SHOT_PREFIX (the screenshots' names start with it), CHROMIUM.
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const base = process.env.CONSOLE_URL;
const provider = process.env.PROVIDER_URL;
const name = process.env.EXPECT_NAME || "Olga Provider";
if (!base || !provider) throw new Error("CONSOLE_URL and PROVIDER_URL must be set");
const shots = process.env.SCREENSHOTS || join(here, "screenshots");
const prefix = process.env.SHOT_PREFIX || "oidc";
await mkdir(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await (await browser.newContext({ locale: "fr-FR" })).newPage();
  page.setDefaultTimeout(20_000);
  const visited = [];
  page.on("request", (r) => r.isNavigationRequest() && visited.push(r.url()));
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(base + "/");
  // A French browser gets the French console.
  await page.getByRole("heading", { name: "Connexion" }).waitFor();
  await page.screenshot({ path: join(shots, `${prefix}-1-sign-in.png`), fullPage: true });
  await page.getByRole("button", { name: "Se connecter avec votre organisation" }).click();
  await page.getByRole("heading", { name: "Mes salles" }).waitFor();
  await page.getByTestId("me").getByText(name).waitFor();
  if (!visited.some((u) => u.startsWith(provider))) throw new Error(`the browser never went to the provider: ${visited.join(" ")}`);
  if (new URL(page.url()).search !== "") throw new Error(`the code stayed in the address bar: ${page.url()}`);
  await page.screenshot({ path: join(shots, `${prefix}-2-signed-in.png`), fullPage: true });
  if (errors.length > 0) throw new Error("page errors: " + errors.join("; "));
  console.log(`signed in as ${name} through ${provider}`);
} finally {
  await browser.close();
}
