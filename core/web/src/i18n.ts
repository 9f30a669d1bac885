// The console's words, in the core's four languages (core.Languages):
// English and French here, German and Dutch in i18n-de.ts and i18n-nl.ts.
// Every string a person reads comes from here: add a key to `en` and the
// compiler asks for it in the others.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { de } from "./i18n-de";
import { nl } from "./i18n-nl";

const en = {
  "app.skip": "Skip to content",
  "nav.rooms": "My rooms",
  "nav.signOut": "Sign out",
  "nav.language": "Language",
  "nav.signedInAs": "Signed in as {name}",

  "signin.title": "Sign in",
  "signin.devIntro":
    "Development sign-in: this core is its own identity provider (CORE_DEV_ISSUER) and signs a token for whoever you say you are. Production uses the organisation's provider instead.",
  "signin.name": "Your name",
  "signin.email": "E-mail address",
  "signin.submit": "Sign in",
  "signin.oidcIntro": "Sign in with your organisation's account.",
  "signin.oidc": "Sign in with your organisation",
  "signin.none": "Sign-in is not configured on this server (set OIDC_ISSUER_URL).",
  "signin.failed": "Sign-in failed: {msg}",
  "signin.expired": "Your session has expired: sign in again.",

  "rooms.title": "My rooms",
  "rooms.empty": "No rooms yet: create one below.",
  "rooms.create": "Create a room",
  "rooms.name": "Room name",
  "rooms.access": "Who may enter without waiting in the lobby",
  "rooms.phoneFirst": "Let phone callers in before anyone joins from the web",
  "rooms.submit": "Create the room",
  "rooms.created": "Room “{name}” created.",

  "access.PUBLIC": "Anyone with the link",
  "access.TRUSTED": "Anyone signed in",
  "access.RESTRICTED": "Only the room's members: others wait in the lobby",
  "accessShort.PUBLIC": "Public",
  "accessShort.TRUSTED": "Signed-in users",
  "accessShort.RESTRICTED": "Restricted",
  "role.OWNER": "Owner",
  "role.ADMINISTRATOR": "Administrator",
  "role.MEMBER": "Member",
  "role.NONE": "Guest",

  "room.loading": "Loading…",
  "room.notFound": "There is no room at this address.",
  "room.access": "Access",
  "room.role": "Your role",
  "room.link": "Room link",

  "dialin.title": "Join by phone",
  "dialin.call": "Call",
  "dialin.or": "or",
  "dialin.pin": "PIN",
  "dialin.then": "then type the PIN and #.",
  "dialin.copy": "Copy the dial-in details",
  "dialin.copyPin": "Copy the PIN",
  "dialin.copied": "Copied to the clipboard.",
  "dialin.copyFailed": "Could not copy: select the text instead.",
  "dialin.none": "This room has no dial-in number.",
  "dialin.text": "Join “{room}” by phone: call {numbers}, then type the PIN {pin} followed by #.",

  "meeting.title": "Meeting",
  "meeting.join": "Join the meeting",
  "meeting.leave": "Leave the meeting",
  "meeting.micOn": "Turn the microphone on",
  "meeting.micOff": "Turn the microphone off",
  "meeting.connecting": "Connecting…",
  "meeting.connected": "You are in the meeting.",
  "meeting.left": "You left the meeting.",
  "meeting.failed": "Could not join the meeting: {msg}",
  "meeting.notJoined": "Join the meeting to see who is there.",

  "participants.title": "Participants ({n})",
  "participants.you": "you",
  "participants.phone": "phone",
  "participants.web": "web",
  "participants.speaking": "speaking",
  "participants.muted": "muted",
  "participants.hand": "hand raised",
  "participants.mute": "Mute",
  "participants.unmute": "Unmute",
  "participants.remove": "Remove",
  "participants.rename": "Rename",
  "participants.renamePrompt": "New name for {name}",
  "participants.removeConfirm": "Remove {name} from the meeting?",
  "participants.joined": "{name} joined.",
  "participants.left": "{name} left.",
  "participants.phoneName": "Phone ••• {digits}",
  "participants.phoneAnonymous": "Phone",

  "lobby.title": "Lobby",
  "lobby.empty": "Nobody is waiting.",
  "lobby.admit": "Admit",
  "lobby.deny": "Deny",
  "lobby.admitName": "Admit {name}",
  "lobby.denyName": "Deny {name}",
  "lobby.waiting": "{name} is waiting in the lobby.",
  "lobby.reconnecting": "Live updates interrupted; reconnecting…",
  "lobby.public":
    "Anyone with the link enters this room, so nobody waits here. Phone callers wait until someone joins from the web, unless the settings let them in first.",

  "guest.title": "Ask to join",
  "guest.intro": "The room's members let people in. Say who you are and wait for them.",
  "guest.introOpen": "Say who you are, and join.",
  "guest.name": "Your name",
  "guest.submit": "Ask to join",
  "guest.waiting": "Waiting for someone to let you in…",
  "guest.denied": "You were not let in.",
  "guest.admitted": "You were let in.",
  "guest.signIn": "Members of this room: sign in",

  "rec.title": "Recording",
  "rec.start": "Start recording",
  "rec.stop": "Stop recording",
  "rec.live": "Recording in progress.",
  "rec.started": "Recording started.",
  "rec.stopped": "Recording stopped; it is being saved.",
  "rec.startFailed": "The recording could not start: {msg}",
  "rec.stopFailed": "The recording could not stop: {msg}",
  "rec.noEgress": "LiveKit egress, which records meetings, is not available on this server.",
  "rec.list": "Recordings of this room",
  "rec.none": "No recordings yet.",
  "rec.download": "Download",
  "rec.downloadOf": "Download the recording of {date}",
  "rec.disabled": "Recording is turned off on this server.",
  "rec.when": "Started",
  "rec.status": "Status",
  "rec.file": "File",
  "recpage.title": "Recording of {room}",
  "recpage.room": "Room",
  "recpage.expires": "Expires",
  "recpage.expired": "This recording expired: its file was deleted.",
  "recpage.permanent": "Keep permanently",
  "recpage.delete": "Delete",
  "recpage.confirmDelete": "Delete this recording and its file?",
  "recpage.deleted": "The recording was deleted.",
  "recpage.failed": "That did not work: {msg}",

  "status.INITIATED": "Starting",
  "status.ACTIVE": "Recording",
  "status.STOPPED": "Stopped, saving",
  "status.SAVED": "Saved",
  "status.ABORTED": "Aborted",
  "status.FAILED_TO_START": "Failed to start",
  "status.FAILED_TO_STOP": "Failed to stop",
  "status.NOTIFICATION_SUCCEEDED": "Saved",
  "status.EXTERNAL_PROCESS_SUCCESSFUL": "Saved and processed",
  "status.EXTERNAL_PROCESS_FAILED": "Saved; processing failed",
  "status.UNSPECIFIED": "Unknown",

  "invite.title": "Invite by e-mail",
  "invite.emails": "E-mail addresses",
  "invite.emailsHint": "One per line, or separated by commas.",
  "invite.start": "Start time (optional)",
  "invite.message": "Personal note (optional)",
  "invite.submit": "Send the invitations",
  "invite.sent": "Invitations queued: {n}.",
  "invite.failed": "The invitations were not sent: {msg}",

  "settings.title": "Room settings",
  "settings.save": "Save the settings",
  "settings.saved": "Settings saved.",

  "nav.settings": "My settings",
  "invite.grant": "Also make them members of the room (they enter without waiting in the lobby)",
  "members.title": "Members",
  "members.email": "Add someone by e-mail address",
  "members.role": "Role",
  "members.lookUp": "Who is this?",
  "members.add": "Add",
  "members.found": "{name} has an account.",
  "members.foundWithRole": "{name} is already here: {role}.",
  "members.unknown": "Nobody has signed in with this address yet: they get the role when they first do.",
  "members.added": "{email} added.",
  "members.addedPending": "{email} gets the role at their first sign-in.",
  "members.noName": "(no name)",
  "members.roleOf": "Role of {name}",
  "members.changed": "{name} is now {role}.",
  "members.remove": "Remove {name}",
  "members.removed": "{name} removed.",
  "members.pending": "(waiting for their first sign-in)",
  "members.cancel": "Cancel the role of {name}",
  "members.cancelled": "The role of {name} is cancelled.",
  "me.title": "My settings",
  "me.mail": "Language and time zone of your e-mail",
  "me.intro": "Invitations and recording notices reach you in this language, with times in this time zone.",
  "me.language": "Language",
  "me.timezone": "Time zone",
  "me.save": "Save",
  "me.saved": "Saved.",

  "error.generic": "Something went wrong: {msg}",
  "error.network": "The server does not answer.",
};

export type Key = keyof typeof en;
export type Lang = "en" | "fr" | "de" | "nl";

const fr: Record<Key, string> = {
  "app.skip": "Aller au contenu",
  "nav.rooms": "Mes salles",
  "nav.signOut": "Se déconnecter",
  "nav.language": "Langue",
  "nav.signedInAs": "Connecté·e : {name}",

  "signin.title": "Connexion",
  "signin.devIntro":
    "Connexion de développement : ce core est son propre fournisseur d'identité (CORE_DEV_ISSUER) et signe un jeton pour la personne que vous dites être. En production, c'est le fournisseur de l'organisation qui s'en charge.",
  "signin.name": "Votre nom",
  "signin.email": "Adresse e-mail",
  "signin.submit": "Se connecter",
  "signin.oidcIntro": "Connectez-vous avec le compte de votre organisation.",
  "signin.oidc": "Se connecter avec votre organisation",
  "signin.none": "La connexion n'est pas configurée sur ce serveur (définir OIDC_ISSUER_URL).",
  "signin.failed": "Échec de la connexion : {msg}",
  "signin.expired": "Votre session a expiré : reconnectez-vous.",

  "rooms.title": "Mes salles",
  "rooms.empty": "Aucune salle pour l'instant : créez-en une ci-dessous.",
  "rooms.create": "Créer une salle",
  "rooms.name": "Nom de la salle",
  "rooms.access": "Qui peut entrer sans passer par la salle d'attente",
  "rooms.phoneFirst": "Laisser entrer les appelants par téléphone avant toute personne connectée depuis le web",
  "rooms.submit": "Créer la salle",
  "rooms.created": "Salle « {name} » créée.",

  "access.PUBLIC": "Toute personne ayant le lien",
  "access.TRUSTED": "Toute personne connectée",
  "access.RESTRICTED": "Seulement les membres de la salle : les autres attendent",
  "accessShort.PUBLIC": "Publique",
  "accessShort.TRUSTED": "Personnes connectées",
  "accessShort.RESTRICTED": "Restreinte",
  "role.OWNER": "Propriétaire",
  "role.ADMINISTRATOR": "Administrateur·rice",
  "role.MEMBER": "Membre",
  "role.NONE": "Invité·e",

  "room.loading": "Chargement…",
  "room.notFound": "Il n'y a pas de salle à cette adresse.",
  "room.access": "Accès",
  "room.role": "Votre rôle",
  "room.link": "Lien de la salle",

  "dialin.title": "Rejoindre par téléphone",
  "dialin.call": "Appelez le",
  "dialin.or": "ou",
  "dialin.pin": "Code PIN",
  "dialin.then": "puis tapez le code PIN et #.",
  "dialin.copy": "Copier les informations d'appel",
  "dialin.copyPin": "Copier le code PIN",
  "dialin.copied": "Copié dans le presse-papiers.",
  "dialin.copyFailed": "Copie impossible : sélectionnez le texte.",
  "dialin.none": "Cette salle n'a pas de numéro d'appel.",
  "dialin.text": "Rejoindre « {room} » par téléphone : appelez le {numbers}, puis tapez le code PIN {pin} suivi de #.",

  "meeting.title": "Réunion",
  "meeting.join": "Rejoindre la réunion",
  "meeting.leave": "Quitter la réunion",
  "meeting.micOn": "Activer le micro",
  "meeting.micOff": "Couper le micro",
  "meeting.connecting": "Connexion…",
  "meeting.connected": "Vous êtes dans la réunion.",
  "meeting.left": "Vous avez quitté la réunion.",
  "meeting.failed": "Impossible de rejoindre la réunion : {msg}",
  "meeting.notJoined": "Rejoignez la réunion pour voir qui est là.",

  "participants.title": "Participants ({n})",
  "participants.you": "vous",
  "participants.phone": "téléphone",
  "participants.web": "web",
  "participants.speaking": "parle",
  "participants.muted": "micro coupé",
  "participants.hand": "main levée",
  "participants.mute": "Couper le micro",
  "participants.unmute": "Rétablir le micro",
  "participants.remove": "Retirer",
  "participants.rename": "Renommer",
  "participants.renamePrompt": "Nouveau nom pour {name}",
  "participants.removeConfirm": "Retirer {name} de la réunion ?",
  "participants.joined": "{name} a rejoint la réunion.",
  "participants.left": "{name} a quitté la réunion.",
  "participants.phoneName": "Téléphone ••• {digits}",
  "participants.phoneAnonymous": "Téléphone",

  "lobby.title": "Salle d'attente",
  "lobby.empty": "Personne n'attend.",
  "lobby.admit": "Faire entrer",
  "lobby.deny": "Refuser",
  "lobby.admitName": "Faire entrer {name}",
  "lobby.denyName": "Refuser {name}",
  "lobby.waiting": "{name} attend dans la salle d'attente.",
  "lobby.reconnecting": "Mises à jour interrompues ; reconnexion…",
  "lobby.public":
    "Toute personne ayant le lien entre dans cette salle : personne n'attend ici. Les appelants par téléphone attendent qu'une personne rejoigne depuis le web, sauf si les réglages les laissent entrer avant.",

  "guest.title": "Demander à entrer",
  "guest.intro": "Les membres de la salle font entrer les gens. Indiquez votre nom et patientez.",
  "guest.introOpen": "Indiquez votre nom, et rejoignez la réunion.",
  "guest.name": "Votre nom",
  "guest.submit": "Demander à entrer",
  "guest.waiting": "En attente que quelqu'un vous fasse entrer…",
  "guest.denied": "Vous n'avez pas été admis·e.",
  "guest.admitted": "Vous avez été admis·e.",
  "guest.signIn": "Membres de la salle : connectez-vous",

  "rec.title": "Enregistrement",
  "rec.start": "Démarrer l'enregistrement",
  "rec.stop": "Arrêter l'enregistrement",
  "rec.live": "Enregistrement en cours.",
  "rec.started": "Enregistrement démarré.",
  "rec.stopped": "Enregistrement arrêté ; sauvegarde en cours.",
  "rec.startFailed": "L'enregistrement n'a pas pu démarrer : {msg}",
  "rec.stopFailed": "L'enregistrement n'a pas pu s'arrêter : {msg}",
  "rec.noEgress": "LiveKit egress, qui enregistre les réunions, n'est pas disponible sur ce serveur.",
  "rec.list": "Enregistrements de cette salle",
  "rec.none": "Aucun enregistrement pour l'instant.",
  "rec.download": "Télécharger",
  "rec.downloadOf": "Télécharger l'enregistrement du {date}",
  "rec.disabled": "L'enregistrement est désactivé sur ce serveur.",
  "rec.when": "Début",
  "rec.status": "État",
  "rec.file": "Fichier",
  "recpage.title": "Enregistrement de {room}",
  "recpage.room": "Salle",
  "recpage.expires": "Expire le",
  "recpage.expired": "Cet enregistrement a expiré : son fichier a été supprimé.",
  "recpage.permanent": "Conserver définitivement",
  "recpage.delete": "Supprimer",
  "recpage.confirmDelete": "Supprimer cet enregistrement et son fichier ?",
  "recpage.deleted": "L'enregistrement a été supprimé.",
  "recpage.failed": "Échec : {msg}",

  "status.INITIATED": "Démarrage",
  "status.ACTIVE": "En cours",
  "status.STOPPED": "Arrêté, sauvegarde",
  "status.SAVED": "Sauvegardé",
  "status.ABORTED": "Interrompu",
  "status.FAILED_TO_START": "Échec du démarrage",
  "status.FAILED_TO_STOP": "Échec de l'arrêt",
  "status.NOTIFICATION_SUCCEEDED": "Sauvegardé",
  "status.EXTERNAL_PROCESS_SUCCESSFUL": "Sauvegardé et traité",
  "status.EXTERNAL_PROCESS_FAILED": "Sauvegardé ; échec du traitement",
  "status.UNSPECIFIED": "Inconnu",

  "invite.title": "Inviter par e-mail",
  "invite.emails": "Adresses e-mail",
  "invite.emailsHint": "Une par ligne, ou séparées par des virgules.",
  "invite.start": "Heure de début (facultatif)",
  "invite.message": "Note personnelle (facultatif)",
  "invite.submit": "Envoyer les invitations",
  "invite.sent": "Invitations en file d'envoi : {n}.",
  "invite.failed": "Les invitations n'ont pas été envoyées : {msg}",

  "settings.title": "Réglages de la salle",
  "settings.save": "Enregistrer les réglages",
  "settings.saved": "Réglages enregistrés.",

  "nav.settings": "Mes réglages",
  "invite.grant": "Les rendre aussi membres de la salle (ils entrent sans attendre dans la salle d'attente)",
  "members.title": "Membres",
  "members.email": "Ajouter quelqu'un par adresse e-mail",
  "members.role": "Rôle",
  "members.lookUp": "Qui est-ce ?",
  "members.add": "Ajouter",
  "members.found": "{name} a un compte.",
  "members.foundWithRole": "{name} est déjà là : {role}.",
  "members.unknown": "Personne ne s'est encore connecté avec cette adresse : le rôle sera attribué à la première connexion.",
  "members.added": "{email} ajouté·e.",
  "members.addedPending": "{email} recevra le rôle à sa première connexion.",
  "members.noName": "(sans nom)",
  "members.roleOf": "Rôle de {name}",
  "members.changed": "{name} est maintenant {role}.",
  "members.remove": "Retirer {name}",
  "members.removed": "{name} retiré·e.",
  "members.pending": "(en attente de sa première connexion)",
  "members.cancel": "Annuler le rôle de {name}",
  "members.cancelled": "Le rôle de {name} est annulé.",
  "me.title": "Mes réglages",
  "me.mail": "Langue et fuseau horaire de vos e-mails",
  "me.intro": "Les invitations et les avis d'enregistrement vous parviennent dans cette langue, avec les heures dans ce fuseau.",
  "me.language": "Langue",
  "me.timezone": "Fuseau horaire",
  "me.save": "Enregistrer",
  "me.saved": "Enregistré.",

  "error.generic": "Une erreur s'est produite : {msg}",
  "error.network": "Le serveur ne répond pas.",
};

const catalogs: Record<Lang, Record<Key, string>> = { en, fr, de, nl };

export const languages: { lang: Lang; name: string }[] = [
  { lang: "en", name: "English" },
  { lang: "fr", name: "Français" },
  { lang: "de", name: "Deutsch" },
  { lang: "nl", name: "Nederlands" },
];

function isLang(s: string | null): s is Lang {
  return languages.some((l) => l.lang === s);
}

export type T = (key: Key, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): T {
  const words = catalogs[lang];
  return (key, vars) => {
    let s = words[key] ?? en[key] ?? key;
    if (vars) {
      for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
    }
    return s;
  };
}

const storageKey = "meetline.lang";

/** The language the person chose, else the browser's first that we speak. */
export function initialLang(): Lang {
  const saved = localStorage.getItem(storageKey);
  if (isLang(saved)) return saved;
  for (const l of navigator.languages ?? [navigator.language]) {
    const base = l.toLowerCase().split("-")[0];
    if (isLang(base)) return base;
  }
  return "en";
}

export function saveLang(lang: Lang) {
  localStorage.setItem(storageKey, lang);
  document.documentElement.lang = lang;
}

export const I18n = createContext<{ lang: Lang; t: T }>({ lang: "en", t: translator("en") });

export function useT(): T {
  return useContext(I18n).t;
}

export function useLang(): Lang {
  return useContext(I18n).lang;
}
