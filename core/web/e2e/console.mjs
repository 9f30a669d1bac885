// The console, end to end, in headless Chromium (Debian's; playwright-core
// drives it, no browser download): a room owner signs in, creates a room,
// reads its PIN, joins the meeting and watches a sipp phone caller who typed
// that PIN arrive; records the meeting; invites someone; a visitor (a second
// browser context, not signed in) joins under a name; then a restricted
// room's lobby: that visitor and a phone caller wait, and the owner admits
// both; someone the owner adds by e-mail, who never signed in before, enters
// that room without waiting. The owner chose French and Paris time on the
// settings page, so the "recording ready" e-mail mailpit received is in French
// with Paris time, and its link opens the recording's page. Last, an operator,
// given the role with the operator token, adds a trunk, watches a phone call
// live, finds it in the history and downloads the history as CSV. A screenshot
// of each step goes to $SCREENSHOTS for a person to look at.
//
// core/web's Go test (e2e_test.go) starts the whole stack and runs this. It
// also runs against `make up`:
//
//	source .run/env && CONSOLE_URL=$CORE_URL TRUNK_NUMBER=$DEMO_TRUNK_NUMBER \
//	  OPERATOR_TOKEN=$OPERATOR_TOKEN RECORDING=unavailable node core/web/e2e/console.mjs
//
// Environment:
//
//	CONSOLE_URL   the core's URL (required)
//	SIPGATE_ADDR  sipgate's host:port (required)
//	TRUNK_NUMBER  the number the calls dial (required)
//	OPERATOR_TOKEN  the core's operator service token, which grants the operator role (required)
//	RECORDING     "egress" (default): start, stop, and download the saved file;
//	              "unavailable": the start fails and the page says so (no egress in `make run`)
//	MAILPIT_URL   mailpit's API, where the core's mail lands (with RECORDING=egress: the e-mail's link
//	              is followed); without it the e-mail steps are skipped
//	SCREENSHOTS   where the screenshots go (default: e2e/screenshots beside this file)
//	CHROMIUM      the browser (default /usr/bin/chromium); SIPP the sipp binary (default: sipp on PATH)
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { createSocket } from "node:dgram";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (see the comment at the top of ${fileURLToPath(import.meta.url)})`);
  return v;
};
const base = need("CONSOLE_URL").replace(/\/$/, "");
const sipgate = need("SIPGATE_ADDR");
const trunkNumber = need("TRUNK_NUMBER");
const operatorToken = need("OPERATOR_TOKEN");
const recordingMode = process.env.RECORDING || "egress";
const mailpit = (process.env.MAILPIT_URL || "").replace(/\/$/, "");
const shots = process.env.SCREENSHOTS || join(here, "screenshots");
const timeout = 30_000;
const started = Date.now();

await rm(shots, { recursive: true, force: true });
await mkdir(shots, { recursive: true });

function log(...args) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`, ...args);
}

let shotNumber = 0;
async function shot(page, name) {
  shotNumber++;
  const file = join(shots, `${String(shotNumber).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log("screenshot", file);
}

// freePort finds a port free for both UDP and TCP on loopback, for sipp's
// signalling (-p) and media (-mp).
async function freePort() {
  for (let i = 0; i < 50; i++) {
    const port = 26400 + 2 * Math.floor(Math.random() * 700); // below the ephemeral ports, clear of other tests and make run
    const ok = await new Promise((resolve) => {
      const tcp = createServer();
      tcp.once("error", () => resolve(false));
      tcp.listen(port, "127.0.0.1", () => {
        const udp = createSocket("udp4");
        udp.once("error", () => tcp.close(() => resolve(false)));
        udp.bind(port, "127.0.0.1", () => udp.close(() => tcp.close(() => resolve(true))));
      });
    });
    if (ok) return port;
  }
  throw new Error("no free port for sipp");
}

// call places one sipp call that types pin and stays on the line for holdMs,
// and types keys (keypad commands) 12 s after the PIN when given; the
// promise it returns settles when sipp ends (rejects unless the call went
// as the scenario says).
async function call(pin, holdMs, keys = "") {
  const dir = await mkdtemp(join(tmpdir(), "console-call-"));
  await writeFile(join(dir, "pin.csv"), keys ? `SEQUENTIAL\n${pin}#;${keys};\n` : `SEQUENTIAL\n${pin}#;\n`);
  const args = [
    "-sf", join(here, keys ? "call-keys.xml" : "call.xml"), "-inf", join(dir, "pin.csv"), "-s", trunkNumber,
    "-m", "1", "-d", String(holdMs), "-i", "127.0.0.1", "-p", String(await freePort()), "-mp", String(await freePort()),
    "-timeout", "90s", "-timeout_error", "-nostdin", "-trace_err", sipgate,
  ];
  const child = spawn(process.env.SIPP || "sipp", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b) => (stderr += b));
  log(`sipp calls ${trunkNumber} with PIN ${pin}, on the line for ${holdMs / 1000}s`);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      rm(dir, { recursive: true, force: true });
      if (code === 0) resolve();
      else reject(new Error(`sipp exited ${code}: ${stderr}`));
    });
  });
}

// grantOperator gives the user with this address the operator role, as an administrator does with the
// operator token (OperatorService.SetOperator, plain JSON over HTTP).
async function grantOperator(email) {
  const res = await fetch(base + "/meetline.v1.OperatorService/SetOperator", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${operatorToken}` },
    body: JSON.stringify({ user: email, operator: true }),
  });
  if (!res.ok) throw new Error(`SetOperator ${email}: ${res.status} ${await res.text()}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required",
  ],
});

const problems = [];
async function newPage(who, options = {}) {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 1280, height: 900 }, ...options });
  await context.grantPermissions(["microphone", "clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  // An exception the page did not catch fails the tour; what the page logs is shown, for whoever reads the
  // output (the browser logs every HTTP error status, and the steps check what the page makes of them).
  page.on("pageerror", (e) => problems.push(`${who}: page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") log(`${who}: console ${m.type()}: ${m.text()}`);
  });
  return page;
}

/** The first message mailpit received for to whose subject is subject, waiting for it. */
async function mailTo(to, subject) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const res = await fetch(`${mailpit}/api/v1/search?query=${encodeURIComponent(`to:${to} subject:"${subject}"`)}`);
    const list = await res.json();
    if (list.messages?.length > 0) {
      const msg = await (await fetch(`${mailpit}/api/v1/message/${list.messages[0].ID}`)).json();
      return msg;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no message "${subject}" to ${to} in mailpit`);
}

/** The text of the participants list, once it contains want. */
async function participantsWith(page, want) {
  const list = page.getByTestId("participants");
  await list.getByText(want).first().waitFor();
  return list.innerText();
}

/**
 * recordingEmail reads the "recording ready" message mailpit received for
 * Alice: French, as she chose, with the time the recording started in Paris
 * (not UTC). Its link, opened as from a mail client (a new browser, signed
 * out), asks her to sign in, then shows the recording's page.
 */
async function recordingEmail(started, roomName) {
  const msg = await mailTo("alice@example.org", "Votre enregistrement est prêt");
  const text = msg.Text;
  const at = (zone, d) =>
    new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(d);
  const minutes = [-1, 0, 1, 2].map((m) => new Date(started.getTime() + m * 60_000));
  const time = /\sà\s(\d\d:\d\d)\s/.exec(text)?.[1];
  if (!text.includes(roomName) || !minutes.some((d) => at("Europe/Paris", d) === time)) {
    throw new Error(`the e-mail is not French with Paris time (recording started ${started.toISOString()}):\n${text}`);
  }
  const link = /https?:\/\/\S+\/recordings\/[0-9a-f-]{36}/.exec(text)?.[0];
  if (!link) throw new Error(`no recording link in the e-mail:\n${text}`);
  log(`the e-mail: "${msg.Subject}", started at ${time} Paris time`);
  const reader = await newPage("alice, from the e-mail");
  await reader.goto(link);
  await reader.getByRole("heading", { name: "Sign in" }).waitFor();
  await reader.getByLabel("Your name").fill("Alice Martin");
  await reader.getByLabel("E-mail address").fill("alice@example.org");
  await reader.getByRole("button", { name: "Sign in" }).click();
  const card = reader.getByTestId("recording-page");
  await card.getByRole("heading", { name: `Recording of ${roomName}` }).waitFor();
  await card.getByRole("link", { name: "Download" }).waitFor();
  await shot(reader, "recording-page-from-email");
  await reader.context().close();
  log("the e-mail's link opened the recording's page after sign-in:", link);
}

try {
  // 1. Sign in with the development issuer and land on "My rooms".
  const owner = await newPage("owner");
  await owner.goto(base + "/");
  await owner.getByRole("heading", { name: "Sign in" }).waitFor();
  await owner.getByLabel("Your name").fill("Alice Martin");
  await owner.getByLabel("E-mail address").fill("alice@example.org");
  await shot(owner, "sign-in");
  await owner.getByRole("button", { name: "Sign in" }).click();
  await owner.getByRole("heading", { name: "My rooms" }).waitFor();
  await owner.getByTestId("me").getByText("Alice Martin").waitFor();
  log("signed in as Alice Martin");

  // 1b. Her settings: her e-mail in French, with times in Paris. The console
  //     follows the language she chose; the header's menu switches it back.
  await owner.getByRole("link", { name: "My settings" }).click();
  await owner.getByRole("heading", { name: "My settings", level: 1 }).waitFor();
  await owner.locator("#me-language").selectOption("fr-fr");
  await owner.locator("#me-timezone").selectOption("Europe/Paris");
  if (await owner.locator("#me-marketing").isChecked()) throw new Error("marketing consent ticked before she chose it");
  await owner.getByRole("button", { name: "Save", exact: true }).click();
  await owner.getByText("Enregistré.").waitFor();
  await shot(owner, "settings-french-paris");
  // Consent to the marketing list is hers to give, and stays as she left it.
  await owner.locator("#me-marketing").check();
  await Promise.all([
    owner.waitForResponse((r) => r.url().endsWith("/UpdateMe") && r.ok()),
    owner.getByRole("button", { name: "Enregistrer", exact: true }).click(),
  ]);
  await owner.reload();
  await owner.locator("#me-marketing").waitFor();
  if (!(await owner.locator("#me-marketing").isChecked())) throw new Error("marketing consent not kept");
  await owner.locator("#lang").selectOption("en");
  await owner.getByRole("link", { name: "My rooms" }).click();
  await owner.getByRole("heading", { name: "My rooms" }).waitFor();
  log("Alice chose French and Europe/Paris for her e-mail");

  // 2. Create a public room; its page shows the dial-in number and the PIN.
  const roomName = `Weekly sync ${Date.now() % 100000}`;
  await owner.getByLabel("Room name").fill(roomName);
  await owner.getByLabel("Anyone with the link").check();
  await shot(owner, "my-rooms");
  await owner.getByRole("button", { name: "Create the room" }).click();
  await owner.getByRole("heading", { name: roomName, level: 1 }).waitFor();
  await owner.getByTestId("access-level").getByText("Public").waitFor();
  const pin = (await owner.getByTestId("pin").innerText()).replace(/\D/g, "");
  if (pin.length < 4) throw new Error(`no PIN on the room page (read "${pin}")`);
  const number = await owner.getByTestId("dialin-number").first().innerText();
  log(`room "${roomName}" at ${owner.url()}: dial ${number}, PIN ${pin}`);
  await owner.getByRole("button", { name: "Copy the PIN" }).click();
  await owner.getByText("Copied to the clipboard.").first().waitFor();
  await shot(owner, "room-created");

  // 3. Join the meeting: the owner is in the participant list.
  await owner.getByRole("button", { name: "Join the meeting" }).click();
  await owner.getByText("You are in the meeting.").waitFor();
  await participantsWith(owner, "(you)");
  await shot(owner, "joined");
  log("owner joined the meeting");

  // 4. A phone caller types the PIN: the host is there, so sipgate hands the
  //    call to LiveKit and it appears as "Phone ••• 42", marked as a phone.
  const firstCall = call(pin, 20_000); // long enough for a loaded machine to mute, unmute and rename
  const seen = await Promise.race([
    participantsWith(owner, "Phone ••• 42"),
    firstCall.then(() => {
      throw new Error("the call ended before the caller showed up");
    }),
  ]);
  const phoneItem = owner.getByTestId("participants").locator('li[data-kind="phone"]');
  await phoneItem.getByText("phone", { exact: true }).waitFor();
  log("participants:", seen.replace(/\s+/g, " "));
  await shot(owner, "phone-caller-in-meeting");

  // 4b. The host mutes the caller (server-side, in LiveKit: the list shows it
  //     live), unmutes them, and renames them.
  await phoneItem.getByRole("button", { name: "Mute", exact: true }).click();
  await phoneItem.getByTestId("muted").waitFor();
  await shot(owner, "phone-caller-muted-by-host");
  await phoneItem.getByRole("button", { name: "Unmute", exact: true }).click();
  await phoneItem.getByTestId("muted").waitFor({ state: "detached" });
  owner.once("dialog", (d) => d.accept("Reception desk"));
  await phoneItem.getByRole("button", { name: "Rename", exact: true }).click();
  await participantsWith(owner, "Reception desk");
  log("the host muted, unmuted and renamed the phone caller");

  // 4c. Another caller mutes itself and raises its hand from the keypad
  //     (*6, *9): the list shows both, live.
  await firstCall;
  await phoneItem.waitFor({ state: "detached" });
  const keysCall = call(pin, 30_000, "*6*9");
  await Promise.race([
    phoneItem.getByTestId("hand").waitFor({ timeout: 45_000 }),
    keysCall.then(() => {
      throw new Error("the call ended before the caller raised its hand");
    }),
  ]);
  await phoneItem.getByTestId("muted").waitFor();
  await shot(owner, "phone-caller-muted-hand-raised");
  log("the phone caller muted itself (*6) and raised its hand (*9)");

  // 5. Record: start, stop, and download what egress saved.
  const recordingStarted = new Date();
  await owner.getByRole("button", { name: "Start recording" }).click();
  if (recordingMode === "egress") {
    await owner.getByText("Recording in progress.").waitFor();
    await shot(owner, "recording");
    await owner.getByRole("button", { name: "Stop recording" }).click();
    const link = owner.getByTestId("recordings").getByRole("link", { name: /Download the recording/ });
    await link.waitFor();
    const href = await link.getAttribute("href");
    const res = await fetch(href);
    const body = new Uint8Array(await res.arrayBuffer());
    if (!res.ok || body.length === 0) throw new Error(`download ${href}: ${res.status}, ${body.length} bytes`);
    log(`recording saved and downloaded: ${body.length} bytes`);
    await shot(owner, "recording-saved");
    if (mailpit) await recordingEmail(recordingStarted, roomName);
  } else {
    await owner.getByText(/The recording could not start/).waitFor();
    log("recording: the page says it could not start:", await owner.getByRole("alert").first().innerText());
    await shot(owner, "recording-unavailable");
  }
  await keysCall;
  await owner.getByTestId("participants").locator('li[data-kind="phone"]').waitFor({ state: "detached" });
  log("the phone caller hung up and left the list");

  // 6. Invite someone by e-mail.
  await owner.getByLabel("E-mail addresses").fill("carol@example.org");
  await owner.getByLabel("Personal note (optional)").fill("See you on Monday.");
  await owner.getByRole("button", { name: "Send the invitations" }).click();
  await owner.getByText("Invitations queued: 1.").waitFor();
  await shot(owner, "invited");

  // 7. A visitor who is not signed in opens the room's link: the room is public, so a name is all it takes.
  const guest = await newPage("guest");
  await guest.goto(owner.url());
  await guest.getByRole("heading", { name: "Join the meeting" }).waitFor();
  await guest.getByLabel("Your name").fill("Bob Guest");
  await guest.getByRole("button", { name: "Join the meeting" }).click();
  await guest.getByText("You are in the meeting.").waitFor();
  await participantsWith(owner, "Bob Guest");
  await shot(owner, "visitor-joined");
  await guest.getByRole("button", { name: "Leave the meeting" }).click();
  log("a visitor joined the public room under the name they gave, and left");

  // 8. A restricted room: visitors wait in the lobby.
  await owner.getByRole("button", { name: "Leave the meeting" }).click();
  await owner.getByRole("link", { name: "My rooms" }).click();
  await owner.getByRole("heading", { name: "My rooms" }).waitFor();
  await owner.getByTestId("rooms").getByText(roomName).waitFor();
  const boardName = `Board meeting ${Date.now() % 100000}`;
  await owner.getByLabel("Room name").fill(boardName);
  await owner.getByLabel(/Only the room's members/).check();
  await owner.getByRole("button", { name: "Create the room" }).click();
  await owner.getByRole("heading", { name: boardName, level: 1 }).waitFor();
  await owner.getByTestId("access-level").getByText("Restricted").waitFor();
  const boardPin = (await owner.getByTestId("pin").innerText()).replace(/\D/g, "");
  const boardURL = owner.url();
  await owner.getByTestId("lobby").getByText("Nobody is waiting.").waitFor();

  // 8a. The visitor, in their browser context, asks to join.
  await guest.goto(boardURL);
  await guest.getByRole("heading", { name: "Ask to join" }).waitFor();
  await guest.getByLabel("Your name").fill("Bob Guest");
  await guest.getByRole("button", { name: "Ask to join" }).click();
  await guest.getByText("Waiting for someone to let you in…").waitFor();
  await shot(guest, "guest-waiting");
  const lobby = owner.getByTestId("lobby");
  await lobby.getByText("Bob Guest", { exact: true }).waitFor();
  await shot(owner, "lobby-guest-waiting");
  await owner.getByRole("button", { name: "Admit Bob Guest" }).click();
  await guest.getByText("You are in the meeting.").waitFor();
  await participantsWith(guest, "Bob Guest");
  await shot(guest, "guest-admitted");
  log("the owner admitted Bob Guest, who joined the meeting");

  // 8b. A phone caller waits in the same lobby, marked as a phone; admitted,
  //     they land in the meeting, where the visitor sees them.
  const secondCall = call(boardPin, 14_000);
  await Promise.race([
    lobby.getByText("Phone ••• 42", { exact: true }).waitFor(),
    secondCall.then(() => {
      throw new Error("the call ended before the caller reached the lobby");
    }),
  ]);
  await lobby.locator('li[data-kind="phone"]').waitFor();
  await shot(owner, "lobby-phone-waiting");
  await owner.getByRole("button", { name: "Admit Phone ••• 42" }).click();
  await participantsWith(guest, "Phone ••• 42");
  await owner.getByRole("button", { name: "Join the meeting" }).click();
  await participantsWith(owner, "Phone ••• 42");
  await participantsWith(owner, "Bob Guest");
  await shot(owner, "phone-admitted");
  log("the owner admitted the phone caller, who joined the meeting");

  // 8c. Members: the owner adds Dave by e-mail. Nobody has signed in with
  //     that address, so the role waits; Dave signs in for the first time and
  //     enters the restricted room at once, without the lobby.
  const members = owner.getByTestId("members");
  await owner.getByLabel("Add someone by e-mail address").fill("dave@example.org");
  await owner.getByRole("button", { name: "Who is this?" }).click();
  await owner.getByTestId("member-lookup").getByText(/Nobody has signed in with this address yet/).waitFor();
  await owner.getByRole("button", { name: "Add", exact: true }).click();
  await owner.getByText("dave@example.org gets the role at their first sign-in.").waitFor();
  await members.getByTestId("pending").getByText("dave@example.org", { exact: true }).waitFor();
  await shot(owner, "member-added-by-email");
  const dave = await newPage("dave");
  await dave.goto(base + "/");
  await dave.getByLabel("Your name").fill("Dave Dupont");
  await dave.getByLabel("E-mail address").fill("dave@example.org");
  await dave.getByRole("button", { name: "Sign in" }).click();
  await dave.getByRole("heading", { name: "My rooms" }).waitFor();
  await dave.goto(boardURL);
  await dave.getByRole("heading", { name: boardName, level: 1 }).waitFor();
  await dave.getByRole("button", { name: "Join the meeting" }).click();
  await dave.getByText("You are in the meeting.").waitFor();
  await participantsWith(owner, "Dave Dupont");
  await shot(dave, "member-joined-without-lobby");
  await dave.getByRole("button", { name: "Leave the meeting" }).click();
  await owner.reload();
  await members.getByTestId("member").getByText("Dave Dupont", { exact: true }).waitFor();
  await shot(owner, "members");
  log("Dave, added by e-mail before he ever signed in, entered the restricted room without waiting");

  // 9. The same page in French, and on a phone-sized screen, while the caller is still there.
  await owner.getByLabel("Language").selectOption("fr");
  await owner.getByRole("heading", { name: "Salle d'attente" }).waitFor();
  await owner.getByText("Rejoindre par téléphone").waitFor();
  await shot(owner, "room-in-french");
  await owner.getByLabel("Langue").selectOption("en");
  await owner.setViewportSize({ width: 390, height: 844 });
  await owner.getByRole("heading", { name: "Join by phone" }).waitFor();
  await shot(owner, "room-on-a-phone");
  await secondCall;

  // 10. Without the role, the operators' pages show the core's refusal and no calls.
  await owner.goto(base + "/operator/calls");
  await owner.getByRole("alert").getByText("this API is for operators").first().waitFor();
  if ((await owner.getByRole("link", { name: "Operations" }).count()) !== 0) throw new Error("a non-operator sees Operations");
  log("Alice, not an operator, is refused the call history");

  // 10a. An operator signs in; the operator token gives them the role, and the console its pages.
  const op = await newPage("operator", { acceptDownloads: true });
  await op.goto(base + "/");
  await op.getByRole("heading", { name: "Sign in" }).waitFor();
  await op.getByLabel("Your name").fill("Olivia Operator");
  await op.getByLabel("E-mail address").fill("olivia@example.org");
  await op.getByRole("button", { name: "Sign in" }).click();
  await op.getByRole("heading", { name: "My rooms" }).waitFor();
  await op.getByText("No rooms yet: create one below.").waitFor(); // signed in: the core knows her
  await grantOperator("olivia@example.org");
  await op.reload();
  await op.getByRole("link", { name: "Operations" }).click();
  await op.getByRole("heading", { name: "Live calls" }).waitFor();
  log("Olivia Operator has the operator role");

  // 10b. Trunks: the tour's trunk holds its rooms; she adds one, edits its numbers and disables it.
  await op.getByRole("link", { name: "Trunks" }).click();
  await op.getByRole("heading", { name: "Trunks", level: 1 }).waitFor();
  const paris = op.getByTestId("trunks").locator("tbody tr").filter({ hasText: trunkNumber.slice(-4) });
  const rooms = Number(await paris.getByTestId("room-count").innerText());
  if (!(rooms >= 2)) throw new Error(`the calls' trunk shows ${rooms} rooms, want the tour's two at least`);
  const trunkName = `lyon-${Date.now() % 100000}`;
  const lyon = `+33 4 78 ${String(Date.now() % 100).padStart(2, "0")} ${String(Math.floor(Math.random() * 100)).padStart(2, "0")} 00`;
  await op.getByRole("button", { name: "Create a trunk" }).click();
  await op.getByLabel("Name", { exact: true }).fill(trunkName);
  await op.getByLabel("Numbers", { exact: true }).fill(lyon);
  await op.getByLabel("Prompt language").selectOption("fr-fr");
  await op.getByLabel("PIN digits").fill("8");
  await op.getByRole("button", { name: "Save the trunk" }).click();
  await op.getByText(`Trunk “${trunkName}” saved.`).waitFor();
  const row = op.locator(`tr[data-trunk="${trunkName}"]`);
  await row.getByText("Enabled").waitFor();
  await row.getByRole("button", { name: `Edit ${trunkName}` }).click();
  await op.getByLabel("Numbers", { exact: true }).fill(`${lyon}\n${lyon.replace(/00$/, "01")}`);
  await op.getByRole("button", { name: "Save the trunk" }).click();
  await row.getByTestId("trunk-number").nth(1).waitFor();
  await row.getByRole("button", { name: "Disable" }).click();
  await row.getByText("Disabled").waitFor();
  await shot(op, "operator-trunks");
  log(`the operator created trunk ${trunkName}, gave it a second number and disabled it; the calls' trunk holds ${rooms} rooms`);

  // 10c. Live calls: a caller types the public room's PIN and waits for its host, shown while on the line.
  await op.getByRole("link", { name: "Live calls" }).click();
  await op.getByRole("heading", { name: "Live calls" }).waitFor();
  const thirdCall = call(pin, 8_000);
  const liveRow = op.getByTestId("live-calls").locator("tbody tr").filter({ hasText: "•42" });
  await Promise.race([
    liveRow.waitFor(),
    thirdCall.then(() => {
      throw new Error("the call ended before the live calls showed it");
    }),
  ]);
  const early = await liveRow.getAttribute("data-phase");
  if (!["ringing", "typing"].includes(early)) throw new Error(`live call in phase "${early}" before its PIN`);
  // Its PIN found the room: the row moves on (waiting for the host, or in the meeting if presence says someone is there).
  await op.getByTestId("live-calls").locator('tr[data-phase="host"], tr[data-phase="bridged"]').waitFor();
  const phase = await liveRow.getAttribute("data-phase");
  await shot(op, "operator-live-call");
  log(`live, ${early} then ${phase}:`, (await liveRow.innerText()).replace(/\s+/g, " "));
  await thirdCall;
  await op.getByTestId("no-live-calls").waitFor();
  log("the call ended and left the live calls");

  // 10d. The history: the call's row, the chart, and the CSV export.
  await op.getByRole("link", { name: "Call history" }).click();
  await op.getByRole("heading", { name: "Call history", level: 1 }).waitFor();
  await op.getByTestId("calls-chart").waitFor();
  const newest = op.getByTestId("calls").locator("tbody tr").first();
  await newest.getByText("•42").waitFor();
  const outcome = await newest.getAttribute("data-outcome");
  const calls = await op.getByTestId("calls").locator("tbody tr").count();
  if (!outcome || calls < 3) throw new Error(`history: newest call's outcome "${outcome}", ${calls} calls; want the tour's three`);
  await shot(op, "operator-history");
  const [download] = await Promise.all([
    op.waitForEvent("download"),
    op.getByRole("button", { name: "Export as CSV" }).click(),
  ]);
  const csv = await readFile(await download.path(), "utf8");
  const lines = csv.trim().split("\n");
  if (!lines[0].startsWith("id,start,answer,end,called") || lines.length < 4 || !csv.includes(outcome)) {
    throw new Error(`CSV export: ${lines.length} lines, header ${lines[0]}`);
  }
  if (/612345642/.test(csv)) throw new Error("the CSV holds a caller's clear number");
  log(`history: ${calls} calls, the newest ${outcome}; CSV of ${lines.length - 1} calls downloaded`);

  if (problems.length > 0) throw new Error("the pages threw:\n" + problems.join("\n"));
  log("all steps passed");
} catch (e) {
  for (const ctx of browser.contexts()) {
    for (const p of ctx.pages()) await shot(p, "failure").catch(() => {});
  }
  if (problems.length > 0) console.error(problems.join("\n"));
  throw e;
} finally {
  await browser.close();
}
