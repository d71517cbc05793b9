"""The bot's one door into the domain: every read and write the bot does goes through here.

Each function is one operation that crosses into synchronous Django code exactly once (so a
service's transaction is never split over several ``sync_to_async`` calls), runs in a thread
pool (``thread_sensitive=False``: one slow volunteer does not hold up the others), and returns
plain frozen dataclasses, never lazy model instances. Domain errors (``DomainError``) pass
through unchanged for the handlers to translate.

The bot speaks for the volunteer who wrote to it, so every id that comes from a button is
checked against that volunteer here, even where a service would allow more (a coordinator
may cancel others' claims through the API, never by replaying a callback in the bot).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation

from backend.accounts.benefits import benefit_advice, benefit_set, objection_ends_on
from backend.accounts.models import Benefit, Language, ModePreference, User, VolunteerProfile
from backend.accounts.services import calendar_token_get, profile_update
from backend.allowances.services import entries_of, year_totals
from backend.core.errors import (
    BirthDateRequired,
    ClaimNotActive,
    NotFound,
    TooYoung,
    ValidationFailed,
)
from backend.lifecycle.services import (
    claims_cancelled_by_leaving,
    membership_end,
    user_erase,
    volunteer_create_from_telegram,
)
from backend.notifications import services as notification_services
from backend.organisations.info_note import (
    NoteForReader,
    info_note_acknowledge,
    info_note_read,
)
from backend.organisations.models import AckChannel, Membership
from backend.organisations.services import organisation_join
from backend.shifts import services as shift_services
from backend.shifts.models import (
    ACTIVE_CLAIM_STATUSES,
    Claim,
    ClaimStatus,
    Shift,
    ShiftMode,
    ShiftStatus,
)
from backend.shifts.selectors import (
    shifts_visible_to,
    town_of,
    volunteer_history,
    waitlist_position,
    where_to_go,
)
from backend.shifts.services import (
    Eligibility,
    Facts,
    cancellation_is_late,
    check_in_open,
    check_out_open,
    claim_cancel,
    claim_check_in,
    claim_check_out,
    claim_create,
    eligibility_error,
)
from backend.shifts.suggestions import suggestions_for
from backend.telegram import services as telegram_services
from backend.telegram.models import SignupDraft, TelegramAccount
from backend.telegram.services import BirthDateQuestion

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

PAGE_SIZE = 5
# How far ahead the shift lists look; eligibility is checked per shift, so keep it bounded.
MAX_CANDIDATES = 60
HELP_NOW_WINDOW = dt.timedelta(hours=1)
# How many of the year's allowance entries /allowance lists (the latest).
LATEST_ENTRIES = 5
# How many past shifts /my's history lists (the latest; the totals count them all).
HISTORY_SHOWN = 10


def _in_thread(fn: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    # database_sync_to_async closes stale connections around the call, as Channels does.
    return database_sync_to_async(fn, thread_sensitive=False)


class NotSignedUp(Exception):
    """This chat has no Inzet account yet."""


# --- plain results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Volunteer:
    user_id: int
    display_name: str
    language: str
    mode_preference: str
    reminders_enabled: bool
    # A Benefit value ("" for none), as the volunteer says; with unemployment benefit, the
    # day the C45B was handed in, once they said it.
    benefit: str = ""
    c45b_handed_in_on: dt.date | None = None
    # What they are sent besides news of their own shifts (/settings switches them).
    stand_in_requests: bool = True
    help_now_alerts: bool = False
    weekly_digest: bool = False


@dataclass(frozen=True)
class Draft:
    step: str
    language: str
    telegram_first_name: str
    mode_preference: str


@dataclass(frozen=True)
class SignupDone:
    volunteer: Volunteer
    organisation_name: str | None
    invite_rejected: bool
    # The organisation joined asks every volunteer's date of birth: the bot asks it now.
    birth_date_asked: bool = False


@dataclass(frozen=True)
class Joined:
    organisation: str
    birth_date_asked: bool


@dataclass(frozen=True)
class OpenQuestions:
    """What a date the volunteer sends may answer."""

    birth_date: bool
    c45b_day: bool


@dataclass(frozen=True)
class BenefitSaved:
    volunteer: Volunteer
    # What to do with this benefit (benefit_advice), in the volunteer's language.
    advice: str


@dataclass(frozen=True)
class C45bSaved:
    language: str
    handed_in_on: dt.date | None
    # The last of the 12 working days in which the RVA may object.
    objection_ends_on: dt.date | None


@dataclass(frozen=True)
class AllowanceLine:
    day: dt.date
    organisation: str
    regime: str  # a Regime value
    amount: Decimal
    km: Decimal | None


@dataclass(frozen=True)
class AllowanceYear:
    """A volunteer's allowances of one calendar year, over every organisation (and what they
    declared from organisations outside Inzet), with what the legal caps still leave."""

    year: int
    regime: str | None  # flat_rate or real_costs once the year has either
    flat_rate: Decimal
    real_costs: Decimal
    transport: Decimal
    transport_km: Decimal
    # The year's caps; None while no caps row exists for the year.
    daily_cap: Decimal | None
    yearly_cap: Decimal | None
    yearly_room: Decimal | None
    km_room: Decimal | None
    # What the activities of the higher cap may still add (only when the year has some).
    higher_room: Decimal | None
    warn: bool
    latest: tuple[AllowanceLine, ...]


@dataclass(frozen=True)
class ShiftView:
    id: int
    title: str
    organisation: str
    mode: str
    starts_at: dt.datetime  # in the organisation's time zone
    ends_at: dt.datetime
    seats_left: int
    help_now: bool
    # When claims open, if that is still ahead (fair access to popular shifts).
    claims_open_at: dt.datetime | None = None


@dataclass(frozen=True)
class ShiftPage:
    kind: str
    page: int
    shifts: tuple[ShiftView, ...]
    has_previous: bool
    has_next: bool
    # Whether the volunteer belongs to an organisation (without one, the answer to an empty
    # list says how to join one).
    member: bool = True


@dataclass(frozen=True)
class ClaimView:
    id: int
    status: str
    shift: ShiftView
    waitlist_position: int | None
    past_deadline: bool
    started: bool
    # Revealed only to a confirmed volunteer.
    address: str
    meeting_link: str
    already_held: bool = False
    # What the volunteer can do now about their attendance.
    can_check_in: bool = False
    can_check_out: bool = False
    minutes_volunteered: int | None = None


@dataclass(frozen=True)
class NoteView:
    """An organisation's information note as a volunteer reads it before claiming
    ``shift_id``: the items of the law and, under the care decree, the agreement note."""

    organisation_id: int
    organisation: str
    version: int
    shift_id: int
    purpose: str
    legal_form: str  # a LegalForm value
    responsible_person: str
    insurer: str
    policy_number: str
    other_insurance: str
    allowance_kind: str  # an AllowanceKind value
    allowance_details: str
    discretion: str
    care_decree: bool
    work_nature: str
    duration_frequency: str
    contact_person: str
    required_training: str
    ending_cooperation: str


@dataclass(frozen=True)
class PastShift:
    title: str
    organisation: str
    starts_at: dt.datetime  # in the organisation's time zone
    ends_at: dt.datetime
    # completed, no_show, or confirmed: the shift ended and nobody recorded attendance yet.
    status: str
    minutes_volunteered: int | None


@dataclass(frozen=True)
class History:
    """The volunteer's past shifts, latest first (at most ``HISTORY_SHOWN``), and the hours
    of completed ones this year and in all, over every organisation."""

    shifts: tuple[PastShift, ...]
    older: int  # past shifts not listed
    year: int
    year_minutes: int
    year_shifts: int
    total_minutes: int
    total_shifts: int


@dataclass(frozen=True)
class OrganisationChoice:
    id: int
    name: str


@dataclass(frozen=True)
class Leaving:
    """What leaving an organisation would do, to confirm: the claims it cancels."""

    organisation_id: int
    organisation: str
    claims: tuple[ClaimView, ...]


@dataclass(frozen=True)
class Left:
    organisation: str
    cancelled: int


# --- helpers (sync) --------------------------------------------------------------------------


def _volunteer(profile: VolunteerProfile) -> Volunteer:
    account = TelegramAccount.objects.filter(user_id=profile.user_id).first()
    return Volunteer(
        user_id=profile.user_id,
        display_name=profile.display_name,
        language=profile.language,
        mode_preference=profile.mode_preference,
        reminders_enabled=account.reminders_enabled if account else True,
        benefit=profile.benefit,
        c45b_handed_in_on=profile.c45b_handed_in_on,
        stand_in_requests=profile.stand_in_requests,
        help_now_alerts=profile.help_now_alerts,
        weekly_digest=profile.weekly_digest,
    )


def _profile(chat_id: int) -> VolunteerProfile:
    profile = (
        VolunteerProfile.objects.select_related("user")
        .filter(telegram_chat_id=chat_id, user__is_active=True)
        .first()
    )
    if profile is None:
        raise NotSignedUp()
    return profile


def _shift_view(shift: Shift, now: dt.datetime) -> ShiftView:
    zone = ZoneInfo(shift.organisation.time_zone)
    return ShiftView(
        id=shift.pk,
        title=shift.title,
        organisation=shift.organisation.name,
        mode=shift.mode,
        starts_at=shift.starts_at.astimezone(zone),
        ends_at=shift.ends_at.astimezone(zone),
        seats_left=shift.seats_left,
        help_now=shift.mode == ShiftMode.ONLINE and shift.starts_at - now <= HELP_NOW_WINDOW,
        claims_open_at=(
            shift.claims_open_at.astimezone(zone)
            if shift.claims_open_at is not None and shift.claims_open_at > now
            else None
        ),
    )


def _claim_view(claim: Claim, now: dt.datetime, *, already_held: bool = False) -> ClaimView:
    shift = claim.shift
    confirmed = claim.status == ClaimStatus.CONFIRMED
    where = where_to_go(shift, claim_status=claim.status, manages=False)
    return ClaimView(
        id=claim.pk,
        status=claim.status,
        shift=_shift_view(shift, now),
        waitlist_position=waitlist_position(claim=claim),
        past_deadline=confirmed and cancellation_is_late(shift=shift, now=now),
        started=shift.starts_at <= now,
        address=where.address or "",
        meeting_link=where.meeting_link or "",
        already_held=already_held,
        can_check_in=confirmed
        and claim.checked_in_at is None
        and check_in_open(shift=shift, now=now),
        can_check_out=confirmed
        and claim.checked_in_at is not None
        and check_out_open(shift=shift, now=now),
        minutes_volunteered=claim.minutes_volunteered,
    )


def _note_view(reading: NoteForReader, shift_id: int) -> NoteView:
    note, organisation = reading.note, reading.organisation
    care = organisation.care_decree
    return NoteView(
        organisation_id=organisation.pk,
        organisation=organisation.name,
        version=note.version,
        shift_id=shift_id,
        purpose=note.purpose,
        legal_form=note.legal_form,
        responsible_person=note.responsible_person,
        insurer=note.insurer,
        policy_number=note.policy_number,
        other_insurance=note.other_insurance,
        allowance_kind=note.allowance_kind,
        allowance_details=note.allowance_details,
        discretion=note.discretion,
        care_decree=care,
        work_nature=note.work_nature if care else "",
        duration_frequency=note.duration_frequency if care else "",
        contact_person=note.contact_person if care else "",
        required_training=note.required_training if care else "",
        ending_cooperation=note.ending_cooperation if care else "",
    )


def _speaking(profile: VolunteerProfile) -> translation.override:
    """The volunteer's language for a service call: some refusals are worded as they are
    raised (a shift's minimum age, when claims open, a date of birth's problem)."""
    return translation.override(profile.language)


def _visible_organisation_id(user: User, shift_id: int) -> int:
    """The organisation of a shift the volunteer may see; NotFound for any other id."""
    organisation_id = (
        shifts_visible_to(user=user)
        .filter(pk=shift_id)
        .values_list("organisation_id", flat=True)
        .first()
    )
    if organisation_id is None:
        raise NotFound()
    return organisation_id


def _attestation_would_do(shift: Shift, facts: Facts) -> bool:
    """Whether the school attestation alone lifts the shift's age refusal, by the domain's own
    rules (the volunteer is 15 on its day, and the shift asks no more)."""
    if not isinstance(eligibility_error(shift, facts), TooYoung):
        return False
    attested = replace(facts, school_attestation=True)
    return not isinstance(eligibility_error(shift, attested), TooYoung)


def _own_claim(user: User, claim_id: int) -> Claim:
    """The volunteer's own claim, or NotFound: someone else's claim is not even confirmed
    to exist."""
    claim = (
        Claim.objects.select_related("shift__organisation")
        .filter(pk=claim_id, volunteer_id=user.pk)
        .first()
    )
    if claim is None:
        raise NotFound()
    return claim


# --- identity and sign-up --------------------------------------------------------------------


@_in_thread
def volunteer_for_chat(chat_id: int) -> Volunteer | None:
    """The volunteer of this chat, or None if there is none."""
    try:
        return _volunteer(_profile(chat_id))
    except NotSignedUp:
        return None


@_in_thread
def chat_returned(chat_id: int) -> None:
    """The chat wrote to the bot, so it has not blocked us (any more)."""
    telegram_services.chat_mark_reachable(chat_id=chat_id)


@_in_thread
def chat_language(chat_id: int, fallback: str) -> str:
    """The language to answer this chat in: the volunteer's, the sign-up draft's, or a guess."""
    language = (
        VolunteerProfile.objects.filter(telegram_chat_id=chat_id)
        .values_list("language", flat=True)
        .first()
        or SignupDraft.objects.filter(chat_id=chat_id).values_list("language", flat=True).first()
    )
    if language:
        return language
    return fallback if fallback in Language.values else Language.DUTCH


def _draft(draft: SignupDraft) -> Draft:
    return Draft(
        step=draft.step,
        language=draft.language,
        telegram_first_name=draft.telegram_first_name,
        mode_preference=draft.mode_preference,
    )


@_in_thread
def signup_start(chat_id: int, telegram_first_name: str, invite_code: str, language: str) -> Draft:
    draft = telegram_services.signup_draft_start(
        chat_id=chat_id,
        telegram_first_name=telegram_first_name,
        invite_code=invite_code,
        # Telegram's guess from the phone's settings: "fr", "nl", sometimes "nl-BE".
        language=(
            language.split("-")[0].lower()
            if language.split("-")[0].lower() in Language.values
            else Language.DUTCH
        ),
    )
    return _draft(draft)


@_in_thread
def signup_draft(chat_id: int) -> Draft | None:
    draft = SignupDraft.objects.filter(chat_id=chat_id).first()
    return _draft(draft) if draft else None


@_in_thread
def signup_answer(chat_id: int, expected_step: str, **changes: str) -> Draft | None:
    draft = telegram_services.signup_draft_update(
        chat_id=chat_id, expected_step=expected_step, **changes
    )
    return _draft(draft) if draft else None


@_in_thread
def signup_cancel(chat_id: int) -> bool:
    return telegram_services.signup_draft_discard(chat_id=chat_id)


@_in_thread
def signup_finish(chat_id: int, phone: str) -> SignupDone | None:
    """Create the volunteer from the draft and drop the draft, in one transaction."""
    with transaction.atomic():
        draft = SignupDraft.objects.select_for_update().filter(chat_id=chat_id).first()
        if draft is None:
            return None
        done = volunteer_create_from_telegram(
            chat_id=chat_id,
            display_name=draft.display_name or draft.telegram_first_name,
            language=draft.language,
            mode_preference=draft.mode_preference or ModePreference.BOTH,
            postcode=draft.postcode,
            phone=phone,
            invite_code=draft.invite_code,
        )
        draft.delete()
        profile = VolunteerProfile.objects.get(user=done.user)
        # A new account belongs to the organisation of its invite only.
        asked = done.organisation_name is not None and _ask_birth_date_if_required(
            profile,
            Membership.objects.filter(
                user_id=profile.user_id, organisation__requires_birth_date=True
            ).exists(),
        )
        return SignupDone(_volunteer(profile), done.organisation_name, done.invite_rejected, asked)


def _ask_birth_date_if_required(profile: VolunteerProfile, required: bool) -> bool:
    """Open the question for the date of birth (for its own sake, no claim waiting) when
    the organisation joined asks it and it is not known yet."""
    if not required or profile.birth_date is not None:
        return False
    telegram_services.birth_date_question_ask(user=profile.user, shift_id=None)
    return True


@_in_thread
def join_organisation(chat_id: int, code: str) -> Joined:
    """Join with an invite code: the organisation's name, and whether the bot now asks the
    date of birth it requires."""
    profile = _profile(chat_id)
    organisation = organisation_join(user=profile.user, code=code).organisation
    asked = _ask_birth_date_if_required(profile, organisation.requires_birth_date)
    return Joined(organisation.name, asked)


@_in_thread
def link_account(chat_id: int, code: str) -> Volunteer:
    user = telegram_services.telegram_link(chat_id=chat_id, code=code)
    telegram_services.signup_draft_discard(chat_id=chat_id)
    return _volunteer(VolunteerProfile.objects.get(user=user))


# --- shifts and claims -----------------------------------------------------------------------


def _matching_shifts(user: User, profile: VolunteerProfile, kind: str) -> list[Shift]:
    """Upcoming open shifts this volunteer could claim now, by the services' own rules."""
    now = timezone.now()
    shifts = (
        shifts_visible_to(user=user)
        .filter(status=ShiftStatus.PUBLISHED, starts_at__gt=now)
        .filter(Q(confirmed_count__lt=F("capacity")) | Q(waitlist_enabled=True))
        .exclude(
            pk__in=Claim.objects.filter(
                volunteer_id=user.pk, status__in=ACTIVE_CLAIM_STATUSES
            ).values("shift_id")
        )
        .select_related("organisation")
        .prefetch_related("required_qualifications")
        .order_by("starts_at", "id")
    )
    if kind == "online" or profile.mode_preference == ModePreference.ONLINE:
        shifts = shifts.filter(mode=ShiftMode.ONLINE)
    elif profile.mode_preference == ModePreference.ON_SITE:
        shifts = shifts.filter(mode=ShiftMode.ON_SITE)
    # The facts the rules need, for all candidates at once (the rules stay in the service).
    candidates = list(shifts[:MAX_CANDIDATES])
    eligibility = Eligibility(volunteer_ids=[user.pk], shifts=candidates, now=now)
    return [shift for shift in candidates if _claimable(eligibility, user.pk, shift)]


def _claimable(eligibility: Eligibility, user_id: int, shift: Shift) -> bool:
    """Claimable now, or once the volunteer answers what the bot then asks: their date of
    birth, or the school attestation that lets a 15-year-old help. (Without a date of birth
    the rules after the age are not judged yet; the claim judges them all.)"""
    facts = eligibility.facts(user_id, shift)
    error = eligibility_error(shift, facts)
    return (
        error is None or isinstance(error, BirthDateRequired) or _attestation_would_do(shift, facts)
    )


@dataclass(frozen=True)
class ShiftDetails:
    """What a volunteer reads before claiming: never the street (that comes with a confirmed
    claim, ``where_to_go``), the town for an on-site shift."""

    shift: ShiftView
    description: str
    town: str
    qualifications: tuple[str, ...]
    min_age: int | None


@_in_thread
def shift_details(chat_id: int, shift_id: int) -> ShiftDetails:
    profile = _profile(chat_id)
    shift = (
        shifts_visible_to(user=profile.user)
        .filter(pk=shift_id, status=ShiftStatus.PUBLISHED)
        .select_related("organisation")
        .first()
    )
    if shift is None:
        raise NotFound()
    return ShiftDetails(
        shift=_shift_view(shift, timezone.now()),
        description=shift.description,
        town="" if shift.mode == ShiftMode.ONLINE else town_of(shift.address),
        qualifications=tuple(
            shift.required_qualifications.order_by("name").values_list("name", flat=True)
        ),
        min_age=shift.min_age,
    )


@_in_thread
def shift_page(chat_id: int, kind: str, page: int) -> ShiftPage:
    profile = _profile(chat_id)
    matching = _matching_shifts(profile.user, profile, kind)
    last_page = max((len(matching) - 1) // PAGE_SIZE, 0)
    page = min(max(page, 0), last_page)
    now = timezone.now()
    chunk = matching[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    member = bool(matching) or Membership.objects.filter(user_id=profile.user_id).exists()
    return ShiftPage(
        kind=kind,
        page=page,
        shifts=tuple(_shift_view(shift, now) for shift in chunk),
        has_previous=page > 0,
        has_next=page < last_page,
        member=member,
    )


def _claim(profile: VolunteerProfile, shift_id: int) -> ClaimView:
    with _speaking(profile):
        result = claim_create(volunteer=profile.user, shift_id=shift_id)
    claim = Claim.objects.select_related("shift__organisation").get(pk=result.claim.pk)
    return _claim_view(claim, timezone.now(), already_held=not result.created)


@_in_thread
def claim(chat_id: int, shift_id: int) -> ClaimView:
    return _claim(_profile(chat_id), shift_id)


@_in_thread
def my_claims(chat_id: int) -> list[ClaimView]:
    profile = _profile(chat_id)
    now = timezone.now()
    claims = (
        Claim.objects.filter(
            volunteer_id=profile.user_id,
            status__in=ACTIVE_CLAIM_STATUSES,
            shift__ends_at__gt=now,
        )
        .select_related("shift__organisation")
        .order_by("shift__starts_at", "id")
    )
    return [_claim_view(claim, now) for claim in claims]


@_in_thread
def claim_to_cancel(chat_id: int, claim_id: int) -> ClaimView:
    """The volunteer's own active claim, to show before they confirm the cancellation."""
    profile = _profile(chat_id)
    claim = _own_claim(profile.user, claim_id)
    if claim.status not in ACTIVE_CLAIM_STATUSES:
        raise ClaimNotActive()
    return _claim_view(claim, timezone.now())


@_in_thread
def cancel_claim(chat_id: int, claim_id: int) -> ClaimView:
    profile = _profile(chat_id)
    _own_claim(profile.user, claim_id)
    cancelled = claim_cancel(actor=profile.user, claim_id=claim_id)
    claim = Claim.objects.select_related("shift__organisation").get(pk=cancelled.pk)
    return _claim_view(claim, timezone.now())


@_in_thread
def check_in(chat_id: int, claim_id: int) -> ClaimView:
    profile = _profile(chat_id)
    _own_claim(profile.user, claim_id)
    claim = claim_check_in(actor=profile.user, claim_id=claim_id)
    return _claim_view(claim, timezone.now())


@_in_thread
def check_out(chat_id: int, claim_id: int) -> ClaimView:
    profile = _profile(chat_id)
    _own_claim(profile.user, claim_id)
    claim = claim_check_out(actor=profile.user, claim_id=claim_id)
    return _claim_view(claim, timezone.now())


# --- /my: the calendar link, past shifts, leaving an organisation ----------------------------


def calendar_link_offered() -> bool:
    """Whether the bot can give calendar links: they are absolute, and unlike the API the
    bot has no request to take the site's address from, so it needs ``PUBLIC_URL``."""
    return bool(settings.PUBLIC_URL)


@_in_thread
def calendar_link(chat_id: int) -> str | None:
    """The volunteer's own iCalendar feed (the secret made on first use, as the API's
    ``/me/calendar/`` does); None without ``PUBLIC_URL``."""
    profile = _profile(chat_id)
    if not calendar_link_offered():
        return None
    token = calendar_token_get(user=profile.user)
    return settings.PUBLIC_URL + reverse("calendar-mine", args=[token])


@_in_thread
def history(chat_id: int) -> History:
    """Past shifts and hours, as the API's ``/me/history/`` has them."""
    profile = _profile(chat_id)
    found = volunteer_history(user=profile.user, now=timezone.now())
    # The selector counts a shift in the year of its organisation's time zone.
    year = timezone.localdate().year
    this_year = [total for total in found["totals"] if total["year"] == year]
    shifts = []
    for claim in found["claims"][:HISTORY_SHOWN]:
        zone = ZoneInfo(claim.shift.organisation.time_zone)
        shifts.append(
            PastShift(
                title=claim.shift.title,
                organisation=claim.shift.organisation.name,
                starts_at=claim.shift.starts_at.astimezone(zone),
                ends_at=claim.shift.ends_at.astimezone(zone),
                status=claim.status,
                minutes_volunteered=claim.minutes_volunteered,
            )
        )
    return History(
        shifts=tuple(shifts),
        older=max(len(found["claims"]) - HISTORY_SHOWN, 0),
        year=year,
        year_minutes=sum(total["minutes"] for total in this_year),
        year_shifts=sum(total["shifts"] for total in this_year),
        total_minutes=sum(total["minutes"] for total in found["totals"]),
        total_shifts=sum(total["shifts"] for total in found["totals"]),
    )


@_in_thread
def my_organisations(chat_id: int) -> tuple[OrganisationChoice, ...]:
    """The organisations the volunteer is a member of, to choose one to leave."""
    profile = _profile(chat_id)
    memberships = (
        Membership.objects.filter(user_id=profile.user_id)
        .select_related("organisation")
        .order_by("organisation__name", "organisation_id")
    )
    return tuple(OrganisationChoice(m.organisation_id, m.organisation.name) for m in memberships)


def _own_membership(user: User, organisation_id: int) -> Membership:
    """The volunteer's own membership of the organisation, or NotFound."""
    membership = (
        Membership.objects.select_related("organisation")
        .filter(user_id=user.pk, organisation_id=organisation_id)
        .first()
    )
    if membership is None:
        raise NotFound()
    return membership


@_in_thread
def leaving(chat_id: int, organisation_id: int) -> Leaving:
    """What leaving would cancel, shown before the volunteer confirms."""
    profile = _profile(chat_id)
    membership = _own_membership(profile.user, organisation_id)
    now = timezone.now()
    claims = (
        claims_cancelled_by_leaving(
            user_id=profile.user_id, organisation_id=organisation_id, now=now
        )
        .select_related("shift__organisation")
        .order_by("shift__starts_at", "id")
    )
    return Leaving(
        organisation_id=organisation_id,
        organisation=membership.organisation.name,
        claims=tuple(_claim_view(claim, now) for claim in claims),
    )


@_in_thread
def leave(chat_id: int, organisation_id: int) -> Left:
    """Leave the organisation (``membership_end``, as the API's ``.../leave/``): the
    membership ends and the upcoming claims there are cancelled, so waitlists move up."""
    profile = _profile(chat_id)
    membership = _own_membership(profile.user, organisation_id)
    upcoming = list(
        claims_cancelled_by_leaving(
            user_id=profile.user_id, organisation_id=organisation_id, now=timezone.now()
        ).values_list("pk", flat=True)
    )
    try:
        with _speaking(profile):
            membership_end(actor=profile.user, membership_id=membership.pk)
    except ValidationFailed as error:
        # The service says why in a field (the last admin stays); a chat has no fields.
        reasons = [str(reason) for reasons in error.fields.values() for reason in reasons]
        raise ValidationFailed(" ".join(reasons) or None, fields=error.fields) from error
    cancelled = Claim.objects.filter(pk__in=upcoming, status=ClaimStatus.CANCELLED).count()
    return Left(organisation=membership.organisation.name, cancelled=cancelled)


# --- what the law asks before a claim --------------------------------------------------------


@_in_thread
def info_note_for_shift(chat_id: int, shift_id: int) -> NoteView:
    """The current information note of the shift's organisation, to read before claiming it."""
    profile = _profile(chat_id)
    with _speaking(profile):
        organisation_id = _visible_organisation_id(profile.user, shift_id)
        reading = info_note_read(user=profile.user, organisation_id=organisation_id)
    return _note_view(reading, shift_id)


@_in_thread
def acknowledge_and_claim(
    chat_id: int, organisation_id: int, version: int, shift_id: int
) -> ClaimView:
    """ "I have read it": the acknowledgement of ``version`` (``info_note_changed`` if it is
    not the current one any more), then the claim it was read for. Both are the services';
    the claim judges again whether the note read is enough."""
    profile = _profile(chat_id)
    with _speaking(profile):
        if _visible_organisation_id(profile.user, shift_id) != organisation_id:
            raise NotFound()
        info_note_acknowledge(
            user=profile.user,
            organisation_id=organisation_id,
            version=version,
            channel=AckChannel.BOT,
        )
    return _claim(profile, shift_id)


# The claim waiting for the volunteer's date of birth is kept on their Telegram account
# (backend/telegram/services.py), so whichever bot process gets the answer, after a restart
# too, completes it.


@_in_thread
def birth_date_ask(chat_id: int, shift_id: int) -> None:
    """Remember that the claim of ``shift_id`` waits for the volunteer's date of birth."""
    telegram_services.birth_date_question_ask(user=_profile(chat_id).user, shift_id=shift_id)


@_in_thread
def open_questions(chat_id: int) -> OpenQuestions:
    """What the bot waits for from this chat's volunteer: their date of birth (asked for a
    claim or on joining), the day they handed in the C45B (unemployment benefit)."""
    try:
        profile = _profile(chat_id)
    except NotSignedUp:
        return OpenQuestions(birth_date=False, c45b_day=False)
    pending = telegram_services.birth_date_question_pending(user=profile.user)
    return OpenQuestions(
        birth_date=pending is not None,
        c45b_day=profile.benefit == Benefit.UNEMPLOYMENT and profile.c45b_handed_in_on is None,
    )


@_in_thread
def birth_date_give(chat_id: int, birth_date: dt.date) -> int | None:
    """Save the volunteer's date of birth (``ValidationFailed`` for one the service refuses;
    the question stays); the shift whose claim waited for it, if any."""
    profile = _profile(chat_id)
    with _speaking(profile):
        profile_update(user=profile.user, birth_date=birth_date)
    question = telegram_services.birth_date_question_close(user=profile.user)
    return question.shift_id if question else None


@_in_thread
def birth_date_forget(chat_id: int) -> BirthDateQuestion | None:
    """Stop waiting for the date of birth: the question dropped, None if there was none."""
    try:
        return telegram_services.birth_date_question_close(user=_profile(chat_id).user)
    except NotSignedUp:
        return None


@_in_thread
def attestation_would_do(chat_id: int, shift_id: int) -> bool:
    """After a ``too_young`` refusal: whether the school attestation would lift it."""
    profile = _profile(chat_id)
    shift = (
        shifts_visible_to(user=profile.user)
        .select_related("organisation")
        .filter(pk=shift_id)
        .first()
    )
    if shift is None:
        return False
    facts = Eligibility(volunteer_ids=[profile.user_id], shifts=[shift]).facts(
        profile.user_id, shift
    )
    return _attestation_would_do(shift, facts)


@_in_thread
def attest_and_claim(chat_id: int, shift_id: int) -> ClaimView:
    """The volunteer declares they completed the first two years of secondary school; then
    the claim that asked for it (the service judges the age again)."""
    profile = _profile(chat_id)
    with _speaking(profile):
        profile_update(user=profile.user, school_attestation=True)
    return _claim(profile, shift_id)


# --- settings --------------------------------------------------------------------------------


@_in_thread
def set_language(chat_id: int, language: str) -> Volunteer:
    profile = _profile(chat_id)
    return _volunteer(profile_update(user=profile.user, language=language))


@_in_thread
def set_mode(chat_id: int, mode_preference: str) -> Volunteer:
    profile = _profile(chat_id)
    return _volunteer(profile_update(user=profile.user, mode_preference=mode_preference))


@_in_thread
def toggle_reminders(chat_id: int) -> Volunteer:
    profile = _profile(chat_id)
    account = telegram_services.account_for(user=profile.user)
    telegram_services.reminders_set(user=profile.user, enabled=not account.reminders_enabled)
    return _volunteer(profile)


# The profile's on/off switches /settings turns over, by the name its buttons carry.
SWITCHES = {
    "standin": "stand_in_requests",
    "helpnow": "help_now_alerts",
    "digest": "weekly_digest",
}


@_in_thread
def toggle_switch(chat_id: int, switch: str) -> Volunteer:
    """Turn one of the profile's switches (``SWITCHES``) the other way."""
    profile = _profile(chat_id)
    field = SWITCHES[switch]
    return _volunteer(profile_update(user=profile.user, **{field: not getattr(profile, field)}))


@_in_thread
def reminder_times(user_id: int) -> tuple[int, ...]:
    """When the volunteer is reminded (minutes before a shift); only /settings shows it, so it
    is not part of :class:`Volunteer`, which every update loads."""
    return tuple(notification_services.reminder_offsets(user_id=user_id))


@_in_thread
def set_reminder_times(
    chat_id: int, offsets_minutes: tuple[int, ...]
) -> tuple[Volunteer, tuple[int, ...]]:
    """Remind at these times before each shift (from the next planned reminders on); choosing
    times also turns reminders on. Returns the volunteer and the times as saved."""
    profile = _profile(chat_id)
    _enabled, saved = notification_services.reminder_settings_set(
        user=profile.user, enabled=True, offsets_minutes=list(offsets_minutes)
    )
    return _volunteer(profile), tuple(saved)


@_in_thread
def set_benefit(chat_id: int, benefit: str) -> BenefitSaved:
    """The benefit the volunteer says they receive, and what to do with it. Choosing one
    again forgets the day of a C45B: the bot then asks it anew."""
    profile = _profile(chat_id)
    with _speaking(profile):
        saved = benefit_set(user=profile.user, benefit=benefit)
        advice = benefit_advice(saved.benefit)
    return BenefitSaved(_volunteer(saved), advice)


def _set_c45b(chat_id: int, handed_in_on: dt.date | None) -> C45bSaved | None:
    profile = _profile(chat_id)
    if profile.benefit != Benefit.UNEMPLOYMENT:
        return None  # an old button: the volunteer chose another benefit since
    with _speaking(profile):
        saved = benefit_set(
            user=profile.user, benefit=Benefit.UNEMPLOYMENT, c45b_handed_in_on=handed_in_on
        )
    day = saved.c45b_handed_in_on
    return C45bSaved(saved.language, day, objection_ends_on(day) if day else None)


@_in_thread
def set_c45b(chat_id: int, handed_in_on: dt.date | None) -> C45bSaved | None:
    """The day the C45B was handed in (None: not yet); ``ValidationFailed`` for a day still
    to come. None if the volunteer does not (any more) say they receive unemployment
    benefit."""
    return _set_c45b(chat_id, handed_in_on)


@_in_thread
def set_c45b_today(chat_id: int) -> C45bSaved | None:
    """The C45B was handed in today (the day in Belgium, as the service judges it)."""
    return _set_c45b(chat_id, timezone.localdate())


@_in_thread
def erase(chat_id: int) -> None:
    """Delete my data: the same erasure as ``DELETE /api/v1/me/``."""
    profile = _profile(chat_id)
    user_erase(user=profile.user)
    telegram_services.birth_date_question_close(user=profile.user)


# --- allowances ------------------------------------------------------------------------------


@_in_thread
def allowance_year(chat_id: int) -> AllowanceYear:
    """The volunteer's allowances of the current year and what the caps still leave."""
    profile = _profile(chat_id)
    year = timezone.localdate().year
    totals = year_totals(volunteer_id=profile.user_id, year=year)
    cap = totals.cap
    latest = entries_of(volunteer_id=profile.user_id, year=year)[-LATEST_ENTRIES:]
    return AllowanceYear(
        year=year,
        regime=totals.regime,
        flat_rate=totals.flat_rate,
        real_costs=totals.real_costs,
        transport=totals.transport,
        transport_km=totals.transport_km,
        daily_cap=cap.daily if cap else None,
        yearly_cap=cap.yearly if cap else None,
        yearly_room=totals.yearly_room,
        km_room=totals.km_room,
        higher_room=totals.higher_room if totals.flat_rate > totals.flat_rate_normal else None,
        warn=totals.warn,
        latest=tuple(
            AllowanceLine(
                day=entry.day,
                organisation=entry.organisation.name,
                regime=entry.regime,
                amount=entry.amount,
                km=entry.km,
            )
            for entry in reversed(latest)
        ),
    )


@_in_thread
def mark_unreachable(chat_id: int) -> None:
    telegram_services.chat_mark_unreachable(chat_id=chat_id)


# --- reminders and follow-ups ----------------------------------------------------------------


@_in_thread
def confirm_attendance(chat_id: int, claim_id: int) -> ClaimView:
    """ "I'm coming" on a reminder, for the volunteer's own claim only."""
    profile = _profile(chat_id)
    notification_services.attendance_confirm(user=profile.user, claim_id=claim_id)
    claim = _own_claim(profile.user, claim_id)
    return _claim_view(claim, timezone.now())


@_in_thread
def follow_up_score(chat_id: int, claim_id: int, score: int) -> None:
    profile = _profile(chat_id)
    notification_services.follow_up_answer(user=profile.user, claim_id=claim_id, score=score)


@_in_thread
def follow_up_comment(chat_id: int, text: str) -> bool:
    """True if ``text`` was taken as the comment on a follow-up just answered."""
    return notification_services.follow_up_comment(chat_id=chat_id, text=text) is not None


# --- suggestions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestionView:
    shift: ShiftView
    # Reason values of backend.shifts.suggestions, in its order.
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Suggestions:
    suggestions: tuple[SuggestionView, ...]
    # Whether the volunteer belongs to an organisation (as for ShiftPage).
    member: bool


@_in_thread
def suggestions(chat_id: int) -> Suggestions:
    """/suggest: the domain's suggestions for this volunteer (``suggestions_for``)."""
    profile = _profile(chat_id)
    now = timezone.now()
    found = suggestions_for(profile.user, now=now)
    member = bool(found) or Membership.objects.filter(user_id=profile.user_id).exists()
    return Suggestions(
        suggestions=tuple(
            SuggestionView(
                shift=_shift_view(s.shift, now), reasons=tuple(r.value for r in s.reasons)
            )
            for s in found
        ),
        member=member,
    )


# --- stand-ins and swaps ---------------------------------------------------------------------


@dataclass(frozen=True)
class StandInAsked:
    shift: ShiftView
    # How many volunteers were asked in the first wave.
    asked: int


@dataclass(frozen=True)
class SwapTarget:
    claim_id: int
    shift: ShiftView


@_in_thread
def stand_in_options(chat_id: int, claim_id: int) -> shift_services.HandOverOptions:
    """What the Cancel step offers instead of cancelling (``hand_over_options``)."""
    profile = _profile(chat_id)
    return shift_services.hand_over_options(_own_claim(profile.user, claim_id), now=timezone.now())


@_in_thread
def ask_stand_in(chat_id: int, claim_id: int) -> StandInAsked:
    profile = _profile(chat_id)
    claim = _own_claim(profile.user, claim_id)
    request = shift_services.stand_in_ask(actor=profile.user, claim_id=claim_id)
    return StandInAsked(shift=_shift_view(claim.shift, timezone.now()), asked=request.asks.count())


@_in_thread
def withdraw_stand_in(chat_id: int, claim_id: int) -> ShiftView:
    profile = _profile(chat_id)
    claim = _own_claim(profile.user, claim_id)
    shift_services.stand_in_withdraw(actor=profile.user, claim_id=claim_id)
    return _shift_view(claim.shift, timezone.now())


@_in_thread
def accept_stand_in(chat_id: int, request_id: int) -> ClaimView:
    profile = _profile(chat_id)
    taken = shift_services.stand_in_accept(actor=profile.user, request_id=request_id)
    claim = Claim.objects.select_related("shift__organisation").get(pk=taken.pk)
    return _claim_view(claim, timezone.now())


@_in_thread
def decline_stand_in(chat_id: int, request_id: int) -> None:
    profile = _profile(chat_id)
    shift_services.stand_in_decline(actor=profile.user, request_id=request_id)


@_in_thread
def swap_targets(chat_id: int, claim_id: int) -> tuple[ShiftView, tuple[SwapTarget, ...]]:
    """The volunteer's shift and the shifts they could swap it for."""
    profile = _profile(chat_id)
    claim = _own_claim(profile.user, claim_id)
    now = timezone.now()
    targets = shift_services.swap_targets(user=profile.user, claim_id=claim_id)
    return _shift_view(claim.shift, now), tuple(
        SwapTarget(claim_id=claim_id, shift=_shift_view(shift, now)) for shift in targets
    )


@_in_thread
def propose_swap(chat_id: int, claim_id: int, shift_id: int) -> int:
    """Offer the swap; how many volunteers were offered it."""
    profile = _profile(chat_id)
    return len(
        shift_services.swap_propose(actor=profile.user, claim_id=claim_id, shift_id=shift_id)
    )


@_in_thread
def accept_swap(chat_id: int, swap_id: int) -> ClaimView:
    profile = _profile(chat_id)
    taken = shift_services.swap_accept(actor=profile.user, swap_id=swap_id)
    claim = Claim.objects.select_related("shift__organisation").get(pk=taken.pk)
    return _claim_view(claim, timezone.now())


@_in_thread
def decline_swap(chat_id: int, swap_id: int) -> None:
    profile = _profile(chat_id)
    shift_services.swap_decline(actor=profile.user, swap_id=swap_id)
