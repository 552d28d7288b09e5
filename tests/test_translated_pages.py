"""What people see in German, French and Spanish: no English string of the app is left.

Each page, email and admin message is rendered in the language, then searched for
every English phrase of the app's catalog that the language translates differently
(`tests.catalogs.english_phrases`), and for a few translations that must be there.
"""

# French texts use the typographic apostrophe (U+2019), as the catalog does.
# ruff: noqa: RUF001

from __future__ import annotations

import html
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from invites import services
from invites.emails import build_invite_message
from invites.models import Invite
from tests.catalogs import LANGUAGES, english_phrases
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

ACCEPT = "/invites/accept/"
CHANGELIST = "/admin/invites/invite/"

# A few translations that must show up, written out so that a broken catalog (or one
# that is not loaded) cannot pass by accident.
KNOWN = {
    "form": {
        "de": "Nehmen Sie Ihre Einladung an",
        "fr": "Acceptez votre invitation",
        "es": "Acepte su invitación",
    },
    "missing": {
        "de": "Es wurde kein Einladungslink geöffnet",
        "fr": "Aucun lien d’invitation n’a été ouvert",
        "es": "No se ha abierto ningún enlace de invitación",
    },
    "invalid_token": {
        "de": "Dieser Einladungslink ist nicht gültig",
        "fr": "Ce lien d’invitation n’est pas valide",
        "es": "Este enlace de invitación no es válido",
    },
    "expired": {
        "de": "Diese Einladung ist abgelaufen",
        "fr": "Cette invitation a expiré",
        "es": "Esta invitación ha caducado",
    },
    "already_accepted": {
        "de": "Diese Einladung wurde bereits verwendet",
        "fr": "Cette invitation a déjà été utilisée",
        "es": "Esta invitación ya se ha utilizado",
    },
    "user_exists": {
        "de": "Ein Konto mit dieser E-Mail-Adresse existiert bereits",
        "fr": "Un compte avec cette adresse e-mail existe déjà",
        "es": "Ya existe una cuenta con este correo electrónico",
    },
    "throttled": {
        "de": "Zu viele Versuche",
        "fr": "Trop de tentatives",
        "es": "Demasiados intentos",
    },
    "done": {
        "de": "Ihr Konto ist bereit",
        "fr": "Votre compte est prêt",
        "es": "Su cuenta está lista",
    },
    "sign_in": {
        "de": "Anmelden",
        "fr": "Se connecter",
        "es": "Iniciar sesión",
    },
    "invited_by": {
        "de": "Ada Lovelace hat Sie eingeladen, Acme beizutreten.",
        "fr": "Ada Lovelace vous invite à rejoindre Acme.",
        "es": "Ada Lovelace le ha invitado a unirse a Acme.",
    },
    "decline": {"de": "Ablehnen", "fr": "Refuser", "es": "Rechazar"},
    "decline_confirm": {
        "de": "Diese Einladung ablehnen?",
        "fr": "Refuser cette invitation ?",
        "es": "¿Rechazar esta invitación?",
    },
    "declined": {
        "de": "Sie haben die Einladung abgelehnt",
        "fr": "Vous avez refusé l’invitation",
        "es": "Ha rechazado la invitación",
    },
    "other_account": {
        "de": "Diese Einladung gilt für ein anderes Konto",
        "fr": "Cette invitation est destinée à un autre compte",
        "es": "Esta invitación es para otra cuenta",
    },
    "sign_out": {"de": "Abmelden", "fr": "Se déconnecter", "es": "Cerrar sesión"},
    "other_invite": {
        "de": "Dieses Formular gehörte zu einer anderen Einladung",
        "fr": "Ce formulaire concernait une autre invitation",
        "es": "Este formulario era para otra invitación",
    },
    "form_throttled": {
        "de": "Es gab zu viele Versuche mit diesem Formular.",
        "fr": "Il y a eu trop de tentatives avec ce formulaire.",
        "es": "Hubo demasiados intentos con este formulario.",
    },
    "existing_account": {
        "de": "Sie haben bereits ein Konto mit ada@example.com.",
        "fr": "Vous avez déjà un compte avec ada@example.com.",
        "es": "Ya tiene una cuenta con ada@example.com.",
    },
    "join": {"de": "Beitreten", "fr": "Rejoindre", "es": "Unirse"},
    # The emails name the site (SITE_NAME "Acme Team" in test_invite_email).
    "created": {
        "de": "Sie sind eingeladen, Acme Team beizutreten",
        "fr": "Invitation à rejoindre Acme Team",
        "es": "Le invitamos a unirse a Acme Team",
    },
    "created_body": {
        "de": "Sie wurden eingeladen, Acme Team beizutreten.",
        "fr": "Nous vous invitons à rejoindre Acme Team.",
        "es": "Le invitamos a unirse a Acme Team.",
    },
    "resent": {
        "de": "Ihr neuer Einladungslink für Acme Team",
        "fr": "Votre nouveau lien d’invitation pour Acme Team",
        "es": "Su nuevo enlace de invitación para Acme Team",
    },
    "resent_body": {
        "de": "Hier ist ein neuer Link, um Ihre Einladung zu Acme Team anzunehmen.",
        "fr": "Voici un nouveau lien pour accepter votre invitation à rejoindre Acme Team.",
        "es": "Este es un nuevo enlace para aceptar su invitación a Acme Team.",
    },
    "refreshed": {
        "de": "1 Einladung hat ein neues Token erhalten und wurde erneut gesendet.",
        "fr": "1 invitation a reçu un nouveau jeton et a été renvoyée.",
        "es": "1 invitación recibió un nuevo token y se reenvió.",
    },
    "bad_selection": {
        "de": "Die Auswahl enthält eine ID, die zu keiner Einladung gehört. "
        "Laden Sie die Liste neu.",
        "fr": "La sélection contient un identifiant qui n’appartient à aucune invitation. "
        "Rechargez la liste.",
        "es": "La selección contiene un identificador que no corresponde a ninguna invitación. "
        "Vuelva a cargar la lista.",
    },
    "skipped": {
        "de": "1 Einladung wurde übersprungen, weil sie bereits angenommen wurde.",
        "fr": "1 invitation a été ignorée car elle a déjà été acceptée.",
        "es": "Se omitió 1 invitación porque ya había sido aceptada.",
    },
    "not_sent_yet": {
        "de": "Noch nicht gesendet",
        "fr": "Pas encore envoyée",
        "es": "Aún no enviada",
    },
    "sent_at": {
        "de": "Gesendet am",
        "fr": "Envoyée le",
        "es": "Enviada el",
    },
    "resend_button": {
        "de": "Erneut senden",
        "fr": "Renvoyer",
        "es": "Reenviar",
    },
    "resent_one": {
        "de": "Die Einladung an pending@example.com hat ein neues Token erhalten und wurde "
        "erneut gesendet.",
        "fr": "L’invitation envoyée à pending@example.com a reçu un nouveau jeton et a été "
        "renvoyée.",
        "es": "La invitación para pending@example.com recibió un nuevo token y se reenvió.",
    },
    "not_resent_accepted": {
        "de": "Nicht erneut gesendet: Diese Einladung wurde bereits angenommen.",
        "fr": "Non renvoyée : cette invitation a déjà été acceptée.",
        "es": "No se reenvió: esta invitación ya ha sido aceptada.",
    },
    "purge_prompt": {
        "de": "Dies löscht 1 Einladungen endgültig",
        "fr": "Ceci supprime définitivement 1 invitations",
        "es": "Esto elimina definitivamente 1 invitaciones",
    },
    "purge_cancelled": {
        "de": "Bereinigung abgebrochen; es wurde nichts gelöscht.",
        "fr": "Purge annulée ; rien n’a été supprimé.",
        "es": "Purga cancelada; no se eliminó nada.",
    },
}


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def browser(language: str) -> Client:
    """A client whose browser asks for `language` (the demo's LocaleMiddleware picks it)."""
    return Client(headers={"accept-language": language})


def text_of(content: str | bytes) -> str:
    """Rendered output as a reader sees it: entities decoded, whitespace collapsed."""
    if isinstance(content, bytes):
        content = content.decode()
    return " ".join(html.unescape(content).split())


def assert_translated(content: str | bytes, language: str, *known: str) -> None:
    text = text_of(content)
    english = sorted(phrase for phrase in english_phrases(language) if phrase in text)
    assert not english, f"English left in the {language} output: {english}"
    for phrase in known:
        assert phrase in text


def open_link(client: Client, token: str) -> None:
    assert client.get(ACCEPT, {"token": token}).status_code == 302


def sign_in_link(language: str) -> str:
    """The sign-in button of the accept pages (too short for the English-phrase search)."""
    return f'<a class="button" href="/accounts/login/">{KNOWN["sign_in"][language]}</a>'


def test_the_english_phrases_are_found_in_english(client, pending_invite):
    """The check itself: the same page in English holds the phrases it looks for."""
    open_link(client, pending_invite.token)
    text = text_of(client.get(ACCEPT).content)
    found = [phrase for phrase in english_phrases("de") if phrase in text]
    assert "Your account uses the email address the invite was sent to" in found


# --- the accept page -----------------------------------------------------------------


def test_accept_form(browser, language, pending_invite):
    open_link(browser, pending_invite.token)
    response = browser.get(ACCEPT)

    assert response.status_code == 200
    assert f'<html lang="{language}"' in response.content.decode()
    assert_translated(response.content, language, KNOWN["form"][language])


def test_accept_form_with_errors(browser, language, pending_invite):
    open_link(browser, pending_invite.token)
    data = {"password1": "x", "password2": "y", "invite": str(pending_invite.pk)}
    response = browser.post(ACCEPT, data)

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert_translated(response.content, language, KNOWN["form"][language])


def test_missing_link(browser, language):
    response = browser.get(ACCEPT)

    assert response.status_code == 400
    assert_translated(response.content, language, KNOWN["missing"][language])


def test_invalid_link(browser, language):
    open_link(browser, "not-a-token")
    response = browser.get(ACCEPT)

    assert response.status_code == 400
    assert_translated(response.content, language, KNOWN["invalid_token"][language])


def test_expired_link(browser, language, expired_invite):
    open_link(browser, expired_invite.token)
    response = browser.get(ACCEPT)

    assert response.status_code == 400
    assert_translated(response.content, language, KNOWN["expired"][language])


def test_already_accepted_link(browser, language, make_invite):
    invite = make_invite("used@example.com")
    services.accept_invite(invite.token, password=PASSWORD)
    open_link(browser, invite.token)
    response = browser.get(ACCEPT)

    assert response.status_code == 400
    assert_translated(response.content, language, KNOWN["already_accepted"][language])
    assert sign_in_link(language) in response.content.decode()


def test_user_exists(browser, language, pending_invite):
    # Saving a user closes a plain invite of its email; a bulk insert sends no signal.
    User.objects.bulk_create([User(username="early", email=pending_invite.email)])
    open_link(browser, pending_invite.token)
    response = browser.get(ACCEPT)

    assert response.status_code == 409
    assert_translated(response.content, language, KNOWN["user_exists"][language])


@pytest.mark.parametrize("attempts", [1, 2])
def test_throttled(browser, language, settings, pending_invite, attempts):
    settings.INVITES = {"ACCEPT_RATE": f"{attempts}/hour"}
    for number in range(attempts):
        open_link(browser, f"guess-{number}")
    open_link(browser, pending_invite.token)  # refused: the 429 is at the URL without it
    response = browser.get(ACCEPT)

    assert response.status_code == 429
    assert_translated(response.content, language, KNOWN["throttled"][language])


def test_done_page(browser, language, settings, pending_invite):
    settings.INVITES = {"LOGIN_ON_ACCEPT": False}
    open_link(browser, pending_invite.token)
    data = {"first_name": "Ada", "last_name": "Lovelace", "invite": str(pending_invite.pk)}
    response = browser.post(ACCEPT, {**data, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    response = browser.get(response["Location"])

    assert response.status_code == 200
    assert_translated(response.content, language, KNOWN["done"][language])
    assert sign_in_link(language) in response.content.decode()


def test_invitation_names_the_inviter(browser, language, settings):
    settings.INVITES = {"SITE_NAME": "Acme"}
    ada = User.objects.create_user("ada", "ada@x.org", first_name="Ada", last_name="Lovelace")
    [invite] = services.create_invites(["new@example.com"], invited_by=ada)
    open_link(browser, invite.token)

    response = browser.get(ACCEPT)

    assert_translated(response.content, language, KNOWN["invited_by"][language])
    assert f'id="decline" href="/invites/accept/decline/">{KNOWN["decline"][language]}<' in (
        response.content.decode()
    )


def test_decline_pages(browser, language, pending_invite):
    open_link(browser, pending_invite.token)

    confirm = browser.get("/invites/accept/decline/")
    declined = browser.get("/invites/accept/declined/")

    assert_translated(confirm.content, language, KNOWN["decline_confirm"][language])
    assert_translated(declined.content, language, KNOWN["declined"][language])


def test_signed_in_as_another_account(browser, language, pending_invite):
    browser.force_login(User.objects.create_user("bob", "bob@example.com"))
    open_link(browser, pending_invite.token)

    response = browser.get(ACCEPT)

    assert response.status_code == 403
    assert_translated(response.content, language, KNOWN["other_account"][language])
    assert f'value="sign_out">{KNOWN["sign_out"][language]}</button>' in response.content.decode()


def test_form_for_another_invite(browser, language, pending_invite):
    open_link(browser, pending_invite.token)

    response = browser.post(ACCEPT, {"invite": "another"})

    assert response.status_code == 409
    assert_translated(response.content, language, KNOWN["other_invite"][language])


def test_form_errors_limit(browser, language, pending_invite):
    open_link(browser, pending_invite.token)
    data = {"password1": "x", "password2": "x", "invite": str(pending_invite.pk)}
    for _ in range(10):
        browser.post(ACCEPT, data)

    response = browser.post(ACCEPT, data)

    assert response.status_code == 429
    assert_translated(response.content, language, KNOWN["form_throttled"][language])


@pytest.mark.parametrize("signed_in", [False, True])
def test_existing_account_pages(browser, language, signed_in):
    ada = User.objects.create_user("ada", "ada@example.com")
    readers = Group.objects.create(name="Readers")
    [invite] = services.create_invites(["ada@example.com"], groups=[readers])
    if signed_in:
        browser.force_login(ada)
    open_link(browser, invite.token)

    response = browser.get(ACCEPT)

    assert response.status_code == 200
    if signed_in:
        assert_translated(response.content, language)
        assert f'value="join">{KNOWN["join"][language]}</button>' in response.content.decode()
    else:
        assert_translated(response.content, language, KNOWN["existing_account"][language])
        assert f">{KNOWN['sign_in'][language]}</a>" in response.content.decode()


# --- the invite emails ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["created", "resent"])
def test_invite_email(language, settings, pending_invite, kind):
    settings.INVITES = {"SITE_NAME": "Acme Team"}
    with translation.override(language):
        message = build_invite_message(pending_invite, pending_invite.token, kind=kind)
    [(html_body, mimetype)] = message.alternatives

    assert mimetype == "text/html"
    assert message.subject == KNOWN[kind][language]
    assert f'<html lang="{language}">' in html_body
    assert_translated(message.subject, language)
    for body in (message.body, html_body):
        assert_translated(body, language, KNOWN[f"{kind}_body"][language])
        assert pending_invite.token in body


# --- the admin -----------------------------------------------------------------------


def test_admin_changelist(browser, language, admin_user, pending_invite):
    browser.force_login(admin_user)

    response = browser.get(CHANGELIST)

    assert response.status_code == 200
    assert_translated(
        response.content, language, KNOWN["not_sent_yet"][language], KNOWN["sent_at"][language]
    )


def test_admin_add_page_and_its_refusal(browser, language, admin_user, pending_invite):
    browser.force_login(admin_user)

    page = browser.get(f"{CHANGELIST}add/")
    refused = browser.post(f"{CHANGELIST}add/", {"email": pending_invite.email, "metadata": ""})

    assert page.status_code == 200
    assert_translated(page.content, language)
    assert refused.status_code == 200
    assert 'class="errorlist' in refused.content.decode()
    assert_translated(refused.content, language)


def test_admin_resend_button_and_message(browser, language, admin_user, pending_invite):
    browser.force_login(admin_user)
    url = f"{CHANGELIST}{pending_invite.pk}/change/"

    page = browser.get(url)
    response = browser.post(url, {"metadata": "", "_resend": "x"}, follow=True)

    assert f'value="{KNOWN["resend_button"][language]}" name="_resend"' in page.content.decode()
    assert_translated(page.content, language)
    shown = [str(message) for message in response.context["messages"]]
    assert shown[0] == KNOWN["resent_one"][language]
    assert len(shown) == 2  # and the new accept link
    assert_translated(response.content, language)


def test_admin_resend_refused(browser, language, admin_user, pending_invite):
    services.accept_invite(pending_invite.token, password=PASSWORD)
    browser.force_login(admin_user)
    url = f"{CHANGELIST}{pending_invite.pk}/change/"

    response = browser.post(url, {"metadata": "", "_resend": "x"}, follow=True)

    shown = [str(message) for message in response.context["messages"]]
    assert shown == [KNOWN["not_resent_accepted"][language]]
    assert_translated(response.content, language)


def test_admin_bulk_action_messages(browser, language, admin_user, pending_invite, make_invite):
    used = make_invite("used@example.com")
    services.accept_invite(used.token, password=PASSWORD)
    browser.force_login(admin_user)
    data = {"action": "refresh_tokens", "_selected_action": [str(pending_invite.pk), str(used.pk)]}

    response = browser.post(CHANGELIST, data, follow=True)

    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert shown == [KNOWN["refreshed"][language], KNOWN["skipped"][language]]
    assert_translated(response.content, language)
    assert Invite.objects.get(pk=pending_invite.pk).token_hash != pending_invite.token_hash


def test_admin_refusal_message(browser, language, admin_user, pending_invite):
    browser.force_login(admin_user)
    data = {"action": "refresh_tokens", "_selected_action": ["not-an-id"]}

    response = browser.post(CHANGELIST, data, follow=True)

    shown = [str(message) for message in response.context["messages"]]
    assert shown == [KNOWN["bad_selection"][language]]
    assert_translated(response.content, language)


IMPORT_PAGE = {
    "de": ("Einladungen importieren", "Oder Adressen einfügen"),
    "fr": ("Importer des invitations", "Ou collez des adresses"),
    "es": ("Importar invitaciones", "O pegue direcciones"),
}
IMPORT_PREVIEW = {
    "de": ("2 Zeilen gelesen.", "1 Zeile kann nicht importiert werden.", "ungültig"),
    "fr": ("2 lignes lues.", "1 ligne ne peut pas être importée.", "non valide"),
    "es": ("2 filas leídas.", "1 fila no se puede importar.", "no válida"),
}


def test_admin_import_page_and_its_preview(browser, language, admin_user):
    browser.force_login(admin_user)
    url = f"{CHANGELIST}import/"

    page = browser.get(url)
    preview = browser.post(url, {"text": "new@example.com\nnot-an-address"})

    assert page.status_code == 200
    assert_translated(page.content, language, *IMPORT_PAGE[language])
    assert preview.status_code == 200
    assert 'id="import-problems"' in preview.content.decode()
    assert_translated(preview.content, language, *IMPORT_PREVIEW[language])
    assert not Invite.objects.exists()


# --- purge_invites' confirmation ----------------------------------------------------


def test_purge_confirmation(language, monkeypatch, make_invite):
    invite = make_invite("old@example.com")
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(days=40))
    prompts: list[str] = []

    def answer_no(prompt: str = "") -> str:
        prompts.append(prompt)
        return "no"

    monkeypatch.setattr("builtins.input", answer_no)
    out = io.StringIO()
    with translation.override(language):
        call_command("purge_invites", "--older-than", "30d", stdout=out)

    [prompt] = prompts
    assert_translated(prompt, language, KNOWN["purge_prompt"][language], "'yes'")
    assert_translated(out.getvalue(), language, KNOWN["purge_cancelled"][language])
    assert Invite.all_objects.filter(pk=invite.pk).exists()


# --- the API's error messages ----------------------------------------------------------


API_INVALID_TOKEN = {
    "de": "Dieser Einladungslink ist ungültig.",
    "fr": "Ce lien d’invitation n’est pas valide.",
    "es": "Este enlace de invitación no es válido.",
}


def test_api_error_detail(browser, language):
    response = browser.post(
        "/api/invites/accept/",
        {"token": "not-a-token", "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": API_INVALID_TOKEN[language], "code": "invalid_token"}
