// The core's API, through the Connect-ES clients generated from
// rpc/meetline/v1/*.proto (src/gen, `make generate`). Every call carries the
// session's token, when there is one.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { currentSession } from "./auth";
import type { T } from "./i18n";
import { CallService } from "./gen/meetline/v1/call_pb";
import { AccessService } from "./gen/meetline/v1/access_pb";
import { ConfigService } from "./gen/meetline/v1/config_pb";
import { InvitationService } from "./gen/meetline/v1/invitation_pb";
import { LobbyService } from "./gen/meetline/v1/lobby_pb";
import { ParticipantService } from "./gen/meetline/v1/participant_pb";
import { RecordingService } from "./gen/meetline/v1/recording_pb";
import { RoomService } from "./gen/meetline/v1/room_pb";
import { TrunkService } from "./gen/meetline/v1/trunk_pb";
import { UserService } from "./gen/meetline/v1/user_pb";

/** Called when the core says the token is no good: the app signs out. */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(f: () => void) {
  onUnauthenticated = f;
}

const bearer: Interceptor = (next) => async (req) => {
  const s = currentSession();
  if (s) req.header.set("Authorization", `Bearer ${s.token}`);
  if (s?.accessToken) req.header.set("X-Userinfo-Token", s.accessToken);
  try {
    return await next(req);
  } catch (e) {
    if (s && e instanceof ConnectError && e.code === Code.Unauthenticated) onUnauthenticated();
    throw e;
  }
};

const transport = createConnectTransport({ baseUrl: location.origin, interceptors: [bearer] });

export const config = createClient(ConfigService, transport);
export const users = createClient(UserService, transport);
export const rooms = createClient(RoomService, transport);
export const lobby = createClient(LobbyService, transport);
export const recordings = createClient(RecordingService, transport);
export const accesses = createClient(AccessService, transport);
export const invitations = createClient(InvitationService, transport);
export const participants = createClient(ParticipantService, transport);
export const trunks = createClient(TrunkService, transport);
export const calls = createClient(CallService, transport);

/** A sentence about err for a person: the core's own message when it has one. */
export function errorText(t: T, err: unknown): string {
  if (err instanceof ConnectError) {
    if (err.code === Code.Unavailable && /fetch|network/i.test(err.rawMessage)) return t("error.network");
    return err.rawMessage || Code[err.code];
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isCode(err: unknown, code: Code): boolean {
  return err instanceof ConnectError && err.code === code;
}

/** Sleeps ms, or less when signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const id = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(id);
      resolve();
    });
  });
}
