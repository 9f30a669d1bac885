import { AccessLevel, Role } from "./gen/meetline/v1/common_pb";
import { RecordingStatus } from "./gen/meetline/v1/recording_pb";
import type { Key, T } from "./i18n";

/**
 * groupPin splits a PIN into groups that are easy to read aloud and to type:
 * threes, with a last group of four rather than a lone digit
 * ("9133285442" → "913 328 5442").
 */
export function groupPin(pin: string): string[] {
  if (pin.length <= 4) return [pin];
  const groups: string[] = [];
  let i = 0;
  while (pin.length - i > 4) {
    groups.push(pin.slice(i, i + 3));
    i += 3;
  }
  groups.push(pin.slice(i));
  return groups;
}

/**
 * phoneName is how a phone caller is shown: "Phone ••• 42", the last two
 * digits of what LiveKit or the lobby calls them ("Phone 5642", "Phone ••• 42"),
 * as core.PhoneCallerName does for the lobby. The number itself never reaches
 * the browser.
 */
export function phoneName(t: T, name: string): string {
  const digits = name.replace(/\D/g, "");
  return digits.length >= 2 ? t("participants.phoneName", { digits: digits.slice(-2) }) : t("participants.phoneAnonymous");
}

export function accessKey(level: AccessLevel): "PUBLIC" | "TRUSTED" | "RESTRICTED" {
  switch (level) {
    case AccessLevel.TRUSTED:
      return "TRUSTED";
    case AccessLevel.RESTRICTED:
      return "RESTRICTED";
    default:
      return "PUBLIC";
  }
}

export function roleName(t: T, role: Role): string {
  switch (role) {
    case Role.OWNER:
      return t("role.OWNER");
    case Role.ADMINISTRATOR:
      return t("role.ADMINISTRATOR");
    case Role.MEMBER:
      return t("role.MEMBER");
    default:
      return t("role.NONE");
  }
}

export function statusName(t: T, s: RecordingStatus): string {
  const name = RecordingStatus[s] ?? "UNSPECIFIED";
  return t(`status.${name}` as Key);
}

/** A recording still under way: started and not yet in a final state. */
export function isLive(s: RecordingStatus): boolean {
  return s === RecordingStatus.INITIATED || s === RecordingStatus.ACTIVE;
}

/** A recording whose file is (or was) in the bucket. */
export function isSaved(s: RecordingStatus): boolean {
  return (
    s === RecordingStatus.SAVED ||
    s === RecordingStatus.NOTIFICATION_SUCCEEDED ||
    s === RecordingStatus.EXTERNAL_PROCESS_SUCCESSFUL ||
    s === RecordingStatus.EXTERNAL_PROCESS_FAILED
  );
}
