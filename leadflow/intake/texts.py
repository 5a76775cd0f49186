"""Visitor-facing texts in the form languages. Django's own messages (required, invalid email) come translated
from Django's catalogues; these are the ones Leadflow adds."""

from django.utils.translation import get_language

TEXTS: dict[str, dict[str, str]] = {
    "invalid_phone": {
        "en": "Enter a phone number that can be dialled, e.g. +31 20 123 4567.",
        "nl": "Vul een telefoonnummer in dat gebeld kan worden, bijv. +31 20 123 4567.",
        "de": "Geben Sie eine erreichbare Telefonnummer ein, z. B. +49 30 1234567.",
    },
    "consent_required": {
        "en": "Please tick the box to agree.",
        "nl": "Vink het vakje aan om akkoord te gaan.",
        "de": "Bitte setzen Sie das Häkchen, um zuzustimmen.",
    },
    "fix_errors": {
        "en": "Please correct the marked fields.",
        "nl": "Verbeter de gemarkeerde velden.",
        "de": "Bitte korrigieren Sie die markierten Felder.",
    },
    "try_again": {
        "en": "We could not save your message just now. Please try again in a moment.",
        "nl": "We konden uw bericht nu niet opslaan. Probeer het over een moment opnieuw.",
        "de": "Wir konnten Ihre Nachricht gerade nicht speichern. Bitte versuchen Sie es gleich noch einmal.",
    },
    "too_many": {
        "en": "Too many messages from here just now. Please try again in a minute.",
        "nl": "Er komen nu te veel berichten vandaan. Probeer het over een minuut opnieuw.",
        "de": "Gerade kommen zu viele Nachrichten von hier. Bitte versuchen Sie es in einer Minute erneut.",
    },
    "too_large": {
        "en": "Your message is too long. Please shorten it.",
        "nl": "Uw bericht is te lang. Maak het korter.",
        "de": "Ihre Nachricht ist zu lang. Bitte kürzen Sie sie.",
    },
    "submit": {"en": "Send", "nl": "Versturen", "de": "Senden"},
    "sending": {"en": "Sending…", "nl": "Versturen…", "de": "Wird gesendet…"},
    "honeypot": {"en": "Leave this field empty", "nl": "Laat dit veld leeg", "de": "Dieses Feld leer lassen"},
    "required": {"en": "required", "nl": "verplicht", "de": "Pflichtfeld"},
    "back": {"en": "Back to the website", "nl": "Terug naar de website", "de": "Zurück zur Website"},
}


def text(name: str, language: str | None = None) -> str:
    entry = TEXTS[name]
    return entry.get(language or get_language() or "en", entry["en"])
