#!/usr/bin/env bash
# Regenerates the voice prompts and the music-on-hold loop embedded by
# sipgate/media (prompts.go) as headerless G.711 μ-law, 8 kHz, mono.
#
#   sipgate/media/prompts/generate.sh          # needs espeak-ng and sox
#   apt-get install -y espeak-ng sox           # Debian 12: see README.md
#
# Idempotent and reproducible: everything is rebuilt in a temporary folder
# and moved into place; espeak-ng is deterministic and sox runs with a fixed
# random seed (-R) and no dither (-D), so the same tool versions give the same
# bytes. README.md records the versions the committed files were made with.
set -euo pipefail
export LC_ALL=C.UTF-8

here="$(cd "$(dirname "$0")" && pwd)"
for tool in espeak-ng sox; do
	command -v "$tool" >/dev/null || {
		echo "generate.sh: $tool not found (apt-get install -y espeak-ng sox)" >&2
		exit 1
	}
done
echo "espeak-ng: $(espeak-ng --version | sed -n 's/.*text-to-speech: *\([^ ]*\).*/\1/p')"
echo "sox:       $(sox --version | sed 's/.*SoX v//')"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Prompt texts, one block per language: <name>|<text>. The printed texts are
# in README.md; "PIN" is written "pin"/"Pin" so that espeak-ng says the word
# instead of spelling the letters.
declare -A voice=([en-us]=en-us [fr-fr]=fr-fr [de-de]=de [nl-nl]=nl)
declare -A texts
texts[en-us]="enter_pin|Please enter the meeting pin, followed by the pound key.
invalid_pin|That pin is not valid.
please_wait|Please wait.
connecting|Connecting you to the meeting.
too_many_attempts|Too many attempts. Goodbye.
unavailable|Sorry, the service is unavailable. Please try again later.
waiting_for_host|Please wait for the host to join the meeting.
waiting_for_admission|Please wait. Someone in the meeting will let you in shortly.
denied|Sorry, you were not admitted to the meeting. Goodbye.
meeting_ended|The meeting has ended. Goodbye.
wait_timeout|Nobody has let you in yet. Please try again later. Goodbye.
muted|You are muted. Press star six to unmute.
unmuted|You are unmuted.
hand_raised|Your hand is raised. Press star nine to lower it.
hand_lowered|Your hand is lowered.
unmute_refused|The host muted you. You cannot unmute yourself.
keypad_menu|Press star six to mute or unmute yourself, star nine to raise or lower your hand, and star zero to hear this menu again.
participants_1|You are the only person in the meeting.
participants_2|There are two people in the meeting.
participants_3|There are three people in the meeting.
participants_4|There are four people in the meeting.
participants_5|There are five people in the meeting.
participants_6|There are six people in the meeting.
participants_7|There are seven people in the meeting.
participants_8|There are eight people in the meeting.
participants_9|There are nine people in the meeting.
participants_many|There are more than nine people in the meeting.
host_muted|The host muted you. Press star six to unmute.
host_unmuted|The host unmuted you.
removed|The host removed you from the meeting. Goodbye.
first_participant|You are the first participant in the meeting."
texts[fr-fr]="enter_pin|Veuillez saisir le code de la réunion, suivi de la touche dièse.
invalid_pin|Ce code n'est pas valide.
please_wait|Veuillez patienter.
connecting|Nous vous connectons à la réunion.
too_many_attempts|Trop de tentatives. Au revoir.
unavailable|Désolé, le service est indisponible. Veuillez réessayer plus tard.
waiting_for_host|Veuillez patienter jusqu'à l'arrivée de l'organisateur de la réunion.
waiting_for_admission|Veuillez patienter. Un participant de la réunion va vous faire entrer dans quelques instants.
denied|Désolé, votre demande d'accès à la réunion a été refusée. Au revoir.
meeting_ended|La réunion est terminée. Au revoir.
wait_timeout|Personne ne vous a encore fait entrer. Veuillez réessayer plus tard. Au revoir.
muted|Votre micro est coupé. Tapez étoile six pour le rétablir.
unmuted|Votre micro est rétabli.
hand_raised|Vous avez levé la main. Tapez étoile neuf pour la baisser.
hand_lowered|Vous avez baissé la main.
unmute_refused|L'organisateur a coupé votre micro. Vous ne pouvez pas le rétablir vous-même.
keypad_menu|Tapez étoile six pour couper ou rétablir votre micro, étoile neuf pour lever ou baisser la main, et étoile zéro pour réécouter ce menu.
participants_1|Vous êtes seul dans la réunion.
participants_2|Il y a deux personnes dans la réunion.
participants_3|Il y a trois personnes dans la réunion.
participants_4|Il y a quatre personnes dans la réunion.
participants_5|Il y a cinq personnes dans la réunion.
participants_6|Il y a six personnes dans la réunion.
participants_7|Il y a sept personnes dans la réunion.
participants_8|Il y a huit personnes dans la réunion.
participants_9|Il y a neuf personnes dans la réunion.
participants_many|Il y a plus de neuf personnes dans la réunion.
host_muted|L'organisateur a coupé votre micro. Tapez étoile six pour le rétablir.
host_unmuted|L'organisateur a rétabli votre micro.
removed|L'organisateur vous a retiré de la réunion. Au revoir.
first_participant|Vous êtes le premier participant à la réunion."
texts[de-de]="enter_pin|Bitte geben Sie die Konferenz-Pin ein, gefolgt von der Rautetaste.
invalid_pin|Diese Pin ist ungültig.
please_wait|Bitte warten Sie.
connecting|Sie werden jetzt mit der Konferenz verbunden.
too_many_attempts|Zu viele Versuche. Auf Wiederhören.
unavailable|Der Dienst ist leider nicht verfügbar. Bitte versuchen Sie es später erneut.
waiting_for_host|Bitte warten Sie, bis der Moderator der Konferenz beitritt.
waiting_for_admission|Bitte warten Sie. Jemand aus der Konferenz wird Sie gleich hereinlassen.
denied|Leider wurden Sie nicht zur Konferenz zugelassen. Auf Wiederhören.
meeting_ended|Die Konferenz ist beendet. Auf Wiederhören.
wait_timeout|Bisher hat Sie niemand hereingelassen. Bitte versuchen Sie es später erneut. Auf Wiederhören.
muted|Ihr Mikrofon ist stummgeschaltet. Drücken Sie Stern sechs, um es einzuschalten.
unmuted|Ihr Mikrofon ist eingeschaltet.
hand_raised|Sie haben die Hand gehoben. Drücken Sie Stern neun, um sie zu senken.
hand_lowered|Sie haben die Hand gesenkt.
unmute_refused|Der Moderator hat Sie stummgeschaltet. Sie können Ihr Mikrofon nicht selbst einschalten.
keypad_menu|Drücken Sie Stern sechs, um Ihr Mikrofon aus- oder einzuschalten, Stern neun, um die Hand zu heben oder zu senken, und Stern null, um dieses Menü erneut zu hören.
participants_1|Sie sind allein in der Konferenz.
participants_2|In der Konferenz sind zwei Personen.
participants_3|In der Konferenz sind drei Personen.
participants_4|In der Konferenz sind vier Personen.
participants_5|In der Konferenz sind fünf Personen.
participants_6|In der Konferenz sind sechs Personen.
participants_7|In der Konferenz sind sieben Personen.
participants_8|In der Konferenz sind acht Personen.
participants_9|In der Konferenz sind neun Personen.
participants_many|In der Konferenz sind mehr als neun Personen.
host_muted|Der Moderator hat Sie stummgeschaltet. Drücken Sie Stern sechs, um Ihr Mikrofon einzuschalten.
host_unmuted|Der Moderator hat Ihr Mikrofon eingeschaltet.
removed|Der Moderator hat Sie aus der Konferenz entfernt. Auf Wiederhören.
first_participant|Sie sind der erste Teilnehmer der Konferenz."
texts[nl-nl]="enter_pin|Voer de pincode van de vergadering in, gevolgd door het hekje.
invalid_pin|Deze pincode is ongeldig.
please_wait|Een ogenblik geduld.
connecting|U wordt nu verbonden met de vergadering.
too_many_attempts|Te veel pogingen. Tot ziens.
unavailable|Helaas is de dienst niet beschikbaar. Probeer het later opnieuw.
waiting_for_host|Een ogenblik geduld, de organisator van de vergadering is er nog niet.
waiting_for_admission|Een ogenblik geduld. Iemand in de vergadering laat u zo binnen.
denied|Helaas bent u niet toegelaten tot de vergadering. Tot ziens.
meeting_ended|De vergadering is afgelopen. Tot ziens.
wait_timeout|Niemand heeft u nog binnengelaten. Probeer het later opnieuw. Tot ziens.
muted|Uw microfoon staat uit. Druk op sterretje zes om hem aan te zetten.
unmuted|Uw microfoon staat aan.
hand_raised|U heeft uw hand opgestoken. Druk op sterretje negen om hem te laten zakken.
hand_lowered|U heeft uw hand laten zakken.
unmute_refused|De organisator heeft uw microfoon uitgezet. U kunt hem niet zelf aanzetten.
keypad_menu|Druk op sterretje zes om uw microfoon uit of aan te zetten, sterretje negen om uw hand op te steken of te laten zakken, en sterretje nul om dit menu opnieuw te horen.
participants_1|U bent de enige in de vergadering.
participants_2|Er zijn twee personen in de vergadering.
participants_3|Er zijn drie personen in de vergadering.
participants_4|Er zijn vier personen in de vergadering.
participants_5|Er zijn vijf personen in de vergadering.
participants_6|Er zijn zes personen in de vergadering.
participants_7|Er zijn zeven personen in de vergadering.
participants_8|Er zijn acht personen in de vergadering.
participants_9|Er zijn negen personen in de vergadering.
participants_many|Er zijn meer dan negen personen in de vergadering.
host_muted|De organisator heeft uw microfoon uitgezet. Druk op sterretje zes om hem aan te zetten.
host_unmuted|De organisator heeft uw microfoon aangezet.
removed|De organisator heeft u uit de vergadering verwijderd. Tot ziens.
first_participant|U bent de eerste deelnemer aan de vergadering."

# to_ulaw IN OUT: 8 kHz mono 16-bit linear (trimmed, normalised to -3 dBFS,
# telephone band), then G.711 μ-law without a header.
to_ulaw() {
	local lin="$1.8k.wav"
	sox -R -D -V1 "$1" -r 8000 -c 1 -b 16 -e signed-integer "$lin" \
		silence 1 0.02 0.2% reverse silence 1 0.02 0.2% reverse \
		highpass 200 lowpass 3400 norm -3 pad 0.05 0.25 rate -v 8000
	sox -R -D -V1 "$lin" -t raw -r 8000 -c 1 -e u-law -b 8 "$2"
}

for lang in en-us fr-fr de-de nl-nl; do
	mkdir -p "$work/$lang"
	while IFS='|' read -r name text; do
		espeak-ng -v "${voice[$lang]}" -s 150 -w "$work/$lang/$name.wav" "$text"
		to_ulaw "$work/$lang/$name.wav" "$work/$lang/$name.ulaw"
		rm -f "$work/$lang/$name".*wav
	done <<<"${texts[$lang]}"
done

# Music on hold: C – Am – F – G, 2 s per chord, soft sine pads with a bass
# note; each chord fades in and out so the 8 s loop joins without a click.
mkdir -p "$work/common"
chord() { # chord OUT f1 f2 f3 bass
	sox -R -D -V1 -n -r 8000 -c 4 -b 16 "$1" synth 2 sine "$2" sine "$3" sine "$4" sine "$5" \
		remix - fade q 0.25 2 0.5 gain -n -9
}
chord "$work/c1.wav" 261.63 329.63 392.00 130.81
chord "$work/c2.wav" 220.00 261.63 329.63 110.00
chord "$work/c3.wav" 220.00 261.63 349.23 87.31
chord "$work/c4.wav" 246.94 293.66 392.00 98.00
sox -R -D -V1 "$work"/c{1,2,3,4}.wav "$work/moh.wav"
to_moh() { sox -R -D -V1 "$1" -t raw -r 8000 -c 1 -e u-law -b 8 "$2"; }
to_moh "$work/moh.wav" "$work/common/music_on_hold.ulaw"

for dir in en-us fr-fr de-de nl-nl common; do
	mkdir -p "$here/$dir"
	rm -f "$here/$dir"/*.ulaw
	mv "$work/$dir"/*.ulaw "$here/$dir/"
done
(cd "$here" && find . -name '*.ulaw' | sort | xargs wc -c)
