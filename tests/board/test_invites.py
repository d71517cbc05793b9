"""The cockpit's invites page: invite codes, their Telegram deep link and QR code, posters.

The QR code is checked by reading the SVG on the page back into a matrix of modules and
comparing it with segno's matrix for the deep link: the page's code encodes exactly that URL.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import segno
from django.test import Client
from django.utils import timezone

from backend.accounts.models import User
from backend.core.errors import InvalidInviteCode, PermissionDenied
from backend.organisations.models import InviteCode, Organisation, Role
from backend.organisations.services import invite_create, invite_revoke, organisation_join
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

BOT = "inzet_test_bot"
QR_BORDER = 4


@pytest.fixture(autouse=True)
def _bot_username(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TELEGRAM_BOT_USERNAME = BOT


@pytest.fixture
def admin(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def client_for(user: User | None, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def invites_url(organisation: Organisation, *rest: object) -> str:
    return f"/board/{organisation.slug}/invites/" + "".join(f"{part}/" for part in rest)


def svg_modules(svg: str) -> list[list[bool]]:
    """The dark modules an SVG made by segno draws (its path of horizontal strokes), without
    the quiet zone."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))  # type: ignore[union-attr]
    path = re.search(r'<path[^>]*stroke="#000"[^>]* d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, first, second in re.findall(r"([MmHh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            for column in range(int(x), int(x + float(first))):
                grid[int(y)][column] = True
            x += float(first)
    inner = size - 2 * QR_BORDER
    return [row[QR_BORDER : QR_BORDER + inner] for row in grid[QR_BORDER : QR_BORDER + inner]]


def segno_modules(data: str) -> list[list[bool]]:
    return [[bool(cell) for cell in row] for row in segno.make(data, error="m").matrix]


def only_svg(html: str) -> str:
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 1
    return svgs[0]


def test_a_coordinator_makes_an_invite_and_sees_its_code_link_and_qr_code(
    organisation: Organisation, coordinator: User
) -> None:
    client = client_for(coordinator)

    response = client.post(
        invites_url(organisation), {"role": "volunteer", "valid_days": "14", "max_uses": "25"}
    )

    invite = InviteCode.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{invites_url(organisation)}#invite-{invite.pk}"
    assert (invite.role, invite.max_uses, invite.created_by) == (Role.VOLUNTEER, 25, coordinator)
    assert invite.expires_at is not None
    assert abs(invite.expires_at - (timezone.now() + dt.timedelta(days=14))) < dt.timedelta(
        minutes=1
    )
    html = client.get(invites_url(organisation)).content.decode()
    link = f"https://t.me/{BOT}?start={invite.code}"
    assert invite.code in html and f'href="{link}"' in html
    svg = only_svg(html)
    assert 'role="img"' in svg and "<title>QR code: join WZC De Linde as volunteer" in svg
    assert svg_modules(svg) == segno_modules(link)
    assert svg_modules(svg) != segno_modules(f"https://t.me/{BOT}?start=other")


def test_an_invite_without_expiry_or_limit(organisation: Organisation, coordinator: User) -> None:
    client_for(coordinator).post(invites_url(organisation), {"role": "coordinator"})

    invite = InviteCode.objects.get()
    assert (invite.role, invite.expires_at, invite.max_uses) == (Role.COORDINATOR, None, None)


def test_only_admins_make_admin_invites(
    organisation: Organisation, coordinator: User, admin: User
) -> None:
    refused = client_for(coordinator).post(invites_url(organisation), {"role": "admin"})
    form = client_for(coordinator).get(invites_url(organisation)).content.decode()

    assert refused.status_code == 400
    assert "Only admins can invite admins." in refused.content.decode()
    assert 'value="admin"' not in form
    assert not InviteCode.objects.exists()

    client_for(admin).post(invites_url(organisation), {"role": "admin"})
    assert InviteCode.objects.get().role == Role.ADMIN


def test_wrong_numbers_are_shown_next_to_their_fields(
    organisation: Organisation, coordinator: User
) -> None:
    response = client_for(coordinator).post(
        invites_url(organisation), {"role": "volunteer", "valid_days": "0", "max_uses": "lots"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_valid_days_error"' in html and 'id="id_max_uses_error"' in html
    assert html.count('aria-invalid="true"') == 2
    assert not InviteCode.objects.exists()


def test_volunteers_outsiders_and_visitors_cannot_see_or_make_invites(
    organisation: Organisation, coordinator: User, volunteer: User, outsider: User
) -> None:
    invite = invite_create(actor=coordinator, organisation=organisation)
    urls = [invites_url(organisation), invites_url(organisation, invite.pk, "poster")]

    for user in (volunteer, outsider):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 403
        assert client.post(invites_url(organisation), {"role": "volunteer"}).status_code == 403
        assert client.post(invites_url(organisation, invite.pk, "revoke")).status_code == 403
    assert client_for(None).get(urls[0]).status_code == 302

    assert InviteCode.objects.get() == invite
    assert not InviteCode.objects.get().revoked


def test_a_coordinator_revokes_an_invite_and_it_stops_working(
    organisation: Organisation, coordinator: User
) -> None:
    invite = invite_create(actor=coordinator, organisation=organisation)
    client = client_for(coordinator)

    client.post(invites_url(organisation, invite.pk, "revoke"))

    invite.refresh_from_db()
    assert invite.revoked
    html = client.get(invites_url(organisation)).content.decode()
    assert "Codes that stopped working" in html and "revoked" in html
    assert "<svg" not in html
    with pytest.raises(InvalidInviteCode):
        organisation_join(user=UserFactory(), code=invite.code)


def test_only_admins_revoke_admin_invites(
    organisation: Organisation, coordinator: User, admin: User
) -> None:
    invite = invite_create(actor=admin, organisation=organisation, role=Role.ADMIN)

    page = client_for(coordinator).get(invites_url(organisation)).content.decode()
    client_for(coordinator).post(invites_url(organisation, invite.pk, "revoke"))
    invite.refresh_from_db()
    assert not invite.revoked
    assert invites_url(organisation, invite.pk, "revoke") not in page
    with pytest.raises(PermissionDenied):
        invite_revoke(actor=coordinator, organisation=organisation, invite_id=invite.pk)

    client_for(admin).post(invites_url(organisation, invite.pk, "revoke"))
    invite.refresh_from_db()
    assert invite.revoked


def test_another_organisations_invite_is_not_found(
    organisation: Organisation, other_organisation: Organisation, coordinator: User, outsider: User
) -> None:
    theirs = invite_create(actor=outsider, organisation=other_organisation)
    client = client_for(coordinator)

    assert client.get(invites_url(organisation, theirs.pk, "poster")).status_code == 404
    assert client.post(invites_url(organisation, theirs.pk, "revoke")).status_code == 404
    assert theirs.code not in client.get(invites_url(organisation)).content.decode()
    theirs.refresh_from_db()
    assert not theirs.revoked


def test_the_poster_has_the_qr_code_in_the_language_chosen(
    organisation: Organisation, coordinator: User
) -> None:
    invite = invite_create(actor=coordinator, organisation=organisation)
    client = client_for(coordinator)

    english = client.get(invites_url(organisation, invite.pk, "poster")).content.decode()
    french = client.get(invites_url(organisation, invite.pk, "poster"), {"lang": "fr"})

    assert '<article class="poster" lang="en"' in english
    assert "Become a volunteer with us" in english
    html = french.content.decode()
    assert '<article class="poster" lang="fr"' in html
    assert "Become a volunteer with us" not in html
    assert svg_modules(only_svg(html)) == segno_modules(f"https://t.me/{BOT}?start={invite.code}")
    assert f"/start {invite.code}" in html


def test_a_poster_of_a_code_that_ended_says_so(
    organisation: Organisation, coordinator: User
) -> None:
    invite = invite_create(actor=coordinator, organisation=organisation, max_uses=1)
    InviteCode.objects.filter(pk=invite.pk).update(uses=1)

    html = client_for(coordinator).get(invites_url(organisation, invite.pk, "poster")).content
    assert "This code no longer works" in html.decode()


def test_without_the_bot_username_the_code_is_shown_and_the_link_explained(
    organisation: Organisation, coordinator: User, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.TELEGRAM_BOT_USERNAME = ""
    invite = invite_create(actor=coordinator, organisation=organisation)
    client = client_for(coordinator)

    page = client.get(invites_url(organisation), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    poster = client.get(
        invites_url(organisation, invite.pk, "poster"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    for html in (page, poster):
        assert invite.code in html
        assert "does not know the name of your Telegram bot yet" in html
        assert "<svg" not in html and "t.me" not in html
    assert "write the bot&#x27;s name on it" in poster or "write the bot's name on it" in poster


@pytest.mark.parametrize("count", [2, 20])
def test_the_invites_page_reads_a_fixed_number_of_queries(
    organisation: Organisation, coordinator: User, count: int, django_assert_num_queries
) -> None:
    for n in range(count):
        invite = invite_create(actor=coordinator, organisation=organisation)
        if n % 2:
            invite_revoke(actor=coordinator, organisation=organisation, invite_id=invite.pk)
    client = client_for(coordinator)

    # Session, user, organisation, may_manage, may_administer; usable and ended codes.
    with django_assert_num_queries(7):
        response = client.get(invites_url(organisation))

    assert len(response.context["invites"]) + len(response.context["ended"]) == count


def test_every_post_needs_the_csrf_token(organisation: Organisation, coordinator: User) -> None:
    invite = invite_create(actor=coordinator, organisation=organisation)
    client = client_for(coordinator, csrf=True)

    assert client.post(invites_url(organisation), {"role": "volunteer"}).status_code == 403
    assert client.post(invites_url(organisation, invite.pk, "revoke")).status_code == 403

    assert InviteCode.objects.count() == 1
    invite.refresh_from_db()
    assert not invite.revoked
