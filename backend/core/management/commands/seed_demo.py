"""``manage.py seed_demo``: load the demo organisation that ``make run`` shows.

Everything is made through the domain services, as a coordinator would through the API, so
the seat counters, waitlist tickets and memberships are exactly what real use produces.
Idempotent: when the demo organisation exists, nothing changes and the log-ins are printed
again; once its week is over (no shift to come), the next week is planned, with the same
people claiming the same shifts.

DEMO ONLY: the passwords below are public (they are in this file and in the README). The
command refuses to run when ``DEBUG`` is off unless told explicitly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from backend.accounts.models import Language, ModePreference, User
from backend.accounts.services import profile_ensure, profile_update, user_register
from backend.allowances.models import PolicyKind
from backend.allowances.services import Completed, entry_for_completed_claim, policy_update
from backend.notifications.models import ClaimFeedback
from backend.notifications.services import WORRYING
from backend.organisations.info_note import info_note_acknowledge, info_note_write
from backend.organisations.models import (
    AckChannel,
    InviteCode,
    Membership,
    Organisation,
    OrganisationKind,
    Qualification,
    Role,
)
from backend.organisations.services import (
    invite_create,
    organisation_create,
    organisation_join,
    organisation_update,
    qualification_create,
    qualification_grant,
)
from backend.shifts.models import (
    Claim,
    ClaimStatus,
    Shift,
    ShiftMode,
    ShiftStatus,
    ShiftVisibility,
)
from backend.shifts.services import claim_create, shift_create, stand_in_ask

DEMO_SLUG = "wzc-de-linde"
DEMO_NAME = "WZC De Linde"
DEMO_TIME_ZONE = "Europe/Brussels"
# Public demo password: long enough, not common, not numeric, unlike the e-mail addresses,
# so it passes Django's validators like a real one would have to.
DEMO_PASSWORD = "Linde-demo-2026"
ADDRESS = "Lindelaan 12, 9000 Gent"
DEMO_ALLOWANCE = Decimal("15.00")
PUBLIC_DESCRIPTION = (
    "In WZC De Linde in Gent wonen 90 ouderen. Vrijwilligers wandelen met hen, lezen voor, "
    "zingen mee en bellen met wie weinig bezoek krijgt. Een uurtje kan al veel betekenen."
)
DEMO_KM_RATE = Decimal("0.4269")
# The demo's information note (Belgian volunteer law, art. 4), in Dutch like the organisation.
INFO_NOTE: dict[str, Any] = {
    "purpose": (
        "WZC De Linde is een woonzorgcentrum in Gent. Vrijwilligers brengen gezelschap, "
        "begeleiden activiteiten en wandelingen, en helpen bij de telefonische babbellijn."
    ),
    "legal_form": "non_profit",
    "insurer": "Ethias",
    "policy_number": "45.123.456",
    "other_insurance": (
        "Lichamelijke ongevallen tijdens het vrijwilligerswerk en op weg ernaartoe (Ethias, "
        "polis 45.123.457)."
    ),
    "allowance_kind": "flat_rate",
    "allowance_details": (
        "Forfaitaire vergoeding van 15 euro per shift van minstens drie uur, maandelijks "
        "betaald op je rekening, binnen de wettelijke grenzen per dag en per jaar."
    ),
    "discretion": (
        "Je bent gebonden door discretie over wat je over bewoners en hun families hoort, ook "
        "na je engagement. Voor wie in de zorg helpt, geldt het beroepsgeheim (art. 458 Sw.)."
    ),
}

STAFF = "staff"
FIRST_AID = "EHBO"
HELPLINE = "Helplijntraining"


@dataclass(frozen=True)
class DemoPerson:
    key: str
    email: str
    display_name: str
    role: str  # STAFF (superuser, the organisation's admin), coordinator or volunteer
    language: str = Language.DUTCH
    mode_preference: str = ModePreference.BOTH
    note: str = ""


PEOPLE = (
    DemoPerson("staff", "beheer@de-linde.example", "Beheer De Linde", STAFF, note="admin + staff"),
    DemoPerson("sofie", "coordinator@de-linde.example", "Sofie Claes", Role.COORDINATOR),
    DemoPerson(
        "an",
        "an@de-linde.example",
        "An Peeters",
        Role.VOLUNTEER,
        note=f"holds {FIRST_AID} and {HELPLINE}",
    ),
    DemoPerson(
        "youssef",
        "youssef@de-linde.example",
        "Youssef El Amrani",
        Role.VOLUNTEER,
        language=Language.FRENCH,
    ),
    DemoPerson(
        "lotte",
        "lotte@de-linde.example",
        "Lotte Janssens",
        Role.VOLUNTEER,
        mode_preference=ModePreference.ONLINE,
    ),
    DemoPerson(
        "pieter",
        "pieter@de-linde.example",
        "Pieter De Smet",
        Role.VOLUNTEER,
        language=Language.ENGLISH,
        mode_preference=ModePreference.ON_SITE,
    ),
)

QUALIFICATIONS = {
    FIRST_AID: "Geldig EHBO-attest (Rode Kruis Vlaanderen of gelijkwaardig).",
    HELPLINE: "Opleiding voor telefoongesprekken met alleenstaande ouderen.",
}


@dataclass(frozen=True)
class ShiftPlan:
    title: str
    description: str
    days: tuple[int, ...]  # days after today, in the organisation's time zone
    start: dt.time
    end: dt.time
    capacity: int
    mode: str = ShiftMode.ON_SITE
    meeting_room: str = ""
    waitlist: bool = True
    qualifications: tuple[str, ...] = ()
    deadline_hours: int = 24
    visibility: str = ShiftVisibility.MEMBERS


SHIFT_PLANS = (
    ShiftPlan(
        "Hulp bij het middagmaal",
        "Mee opdienen en bewoners helpen die wat hulp nodig hebben bij het eten.",
        (1, 3, 5, 7),
        dt.time(11, 30),
        dt.time(13, 30),
        capacity=3,
    ),
    ShiftPlan(
        "Wandelnamiddag in de tuin",
        "Samen met bewoners (ook in een rolstoel) een frisse neus halen in de tuin.",
        (2, 4, 6),
        dt.time(14, 0),
        dt.time(16, 0),
        capacity=4,
    ),
    ShiftPlan(
        "Begeleiding naar de markt",
        "Met een klein groepje bewoners naar de markt; een EHBO-attest is nodig.",
        (2, 6),
        dt.time(9, 30),
        dt.time(12, 0),
        capacity=2,
        waitlist=False,
        qualifications=(FIRST_AID,),
    ),
    ShiftPlan(
        "Online voorleesuurtje",
        "Voorlezen via videogesprek voor bewoners op de afdeling; een rustige stem volstaat.",
        (1, 3, 5),
        dt.time(19, 0),
        dt.time(20, 0),
        capacity=2,
        mode=ShiftMode.ONLINE,
        meeting_room="voorleesuurtje",
        waitlist=False,
        deadline_hours=2,
    ),
    ShiftPlan(
        "Telefooncirkel: bellen met alleenstaande ouderen",
        "Een vast rondje telefoontjes naar ouderen die thuis wonen; helplijntraining nodig.",
        (1, 4, 7),
        dt.time(14, 0),
        dt.time(16, 0),
        capacity=3,
        mode=ShiftMode.ONLINE,
        meeting_room="telefooncirkel",
        qualifications=(HELPLINE,),
        deadline_hours=4,
    ),
    ShiftPlan(
        "Muziek- en zangnamiddag",
        "Liedjes van vroeger met de bewoners; open voor elke geregistreerde vrijwilliger.",
        (5,),
        dt.time(15, 0),
        dt.time(17, 0),
        capacity=6,
        visibility=ShiftVisibility.PUBLIC,
    ),
)
SHIFT_TITLES = frozenset(plan.title for plan in SHIFT_PLANS)

# Demo claims: (volunteer key, shift title, day). Day 1's lunch fills up and Pieter waits in
# line; day 1's reading hour is full with the waitlist off.
CLAIMS = (
    ("an", "Hulp bij het middagmaal", 1),
    ("youssef", "Hulp bij het middagmaal", 1),
    ("lotte", "Hulp bij het middagmaal", 1),
    ("pieter", "Hulp bij het middagmaal", 1),
    ("an", "Telefooncirkel: bellen met alleenstaande ouderen", 1),
    ("lotte", "Online voorleesuurtje", 1),
    ("youssef", "Online voorleesuurtje", 1),
    ("an", "Begeleiding naar de markt", 2),
    ("pieter", "Wandelnamiddag in de tuin", 2),
)
# Demo stand-ins: Lotte cannot come to day 4's walk and asks for a stand-in (the shift panel
# marks her seat; the other members are asked).
STAND_INS = (("lotte", "Wandelnamiddag in de tuin", 4),)


# --- History ----------------------------------------------------------------------------------
# The demo organisation has been running since January of last year, so that the cockpit's
# figures and follow-ups have something to show: past shifts every two weeks this year and
# every three weeks last year, with hours, a few no-shows and late cancellations, a cancelled
# shift, and answers to the follow-up question, some low with a comment.
#
# The services refuse the past by design (a shift must start in the future, a claim needs a
# shift that has not started), so these rows are written directly, as the services would have
# left them: seat counters that match the claims, minutes on completed claims, recent no-shows
# counted on the membership, follow-ups flagged by the follow-up rule (score 1-2 or a worrying
# word, ``notifications.services.WORRYING``).

LUNCH = "Hulp bij het middagmaal"
WALK = "Wandelnamiddag in de tuin"
READING = "Online voorleesuurtje"

# When each demo person joined: (years before this one, month); the 6th of that month. The
# figures count volunteers from these dates, so last year has members too.
JOINED = {
    "staff": (1, 1),
    "sofie": (1, 1),
    "an": (1, 1),
    "youssef": (1, 2),
    "lotte": (1, 3),
    "pieter": (0, 2),  # new this year
}


@dataclass(frozen=True)
class Outcome:
    """What happened to one past claim, when it is not the usual: came, and said it went well."""

    status: str = ClaimStatus.COMPLETED
    late_cancellation: bool = False
    score: int | None = None
    comment: str = ""
    handled_note: str = ""  # set: a coordinator has dealt with the follow-up


NO_SHOW = Outcome(status=ClaimStatus.NO_SHOW)
LATE_CANCELLATION = Outcome(status=ClaimStatus.CANCELLED, late_cancellation=True)

# Counted back from the most recent past shift day (0: last week).
RECENT = {
    (0, LUNCH, "pieter"): NO_SHOW,
    (1, LUNCH, "an"): Outcome(
        score=2,
        comment="Mevrouw op kamer 12 was erg onrustig en er was niemand van het personeel in de "
        "buurt. Ik wist niet goed wat ik moest doen.",
    ),
    (1, READING, "lotte"): Outcome(
        score=1,
        comment="De tablet op de afdeling stond niet klaar en niemand nam de telefoon op. Ik "
        "heb een half uur voor niets gewacht.",
    ),
    (2, LUNCH, "youssef"): Outcome(
        score=3,
        comment="J'ai aidé à relever un résident et depuis j'ai une douleur au dos.",
    ),
    (3, LUNCH, "youssef"): LATE_CANCELLATION,
    (4, READING, "lotte"): Outcome(
        score=5, comment="De bewoners wilden na het verhaal nog een hoofdstuk horen!"
    ),
    (6, LUNCH, "an"): Outcome(
        score=2,
        comment="Te weinig handen aan tafel: drie bewoners moesten lang wachten op hun eten.",
        handled_note="Met de afdeling besproken: bij het middagmaal is er nu altijd een "
        "zorgkundige bij.",
    ),
}
# Counted from the first past shift day (0: early January of last year).
EARLY = {
    (3, LUNCH, "youssef"): NO_SHOW,
    (2, WALK, "an"): Outcome(
        score=2,
        comment="Het voelde onveilig om mevrouw alleen uit de rolstoel op de bank te helpen.",
        handled_note="Gebeld; tilinstructie met de kinesitherapeut ingepland voor alle "
        "vrijwilligers van de wandelnamiddag.",
    ),
    (4, LUNCH, "an"): LATE_CANCELLATION,
    (5, READING, "lotte"): Outcome(
        score=1,
        comment="Het geluid haperde het hele uur; de bewoners hoorden bijna niets.",
        handled_note="De afdeling heeft een luidspreker gekregen voor de videogesprekken.",
    ),
    (6, WALK, "an"): Outcome(score=4, comment="Fijne wandeling, al was het wat koud."),
}
# This walk was cancelled (the weather): its claims were cancelled with it.
CANCELLED_WALK = 8
PRAISE = (
    "Fijne namiddag, de bewoners zongen mee.",
    "Merci, c'était un très beau moment.",
    "Rustig verlopen, alles was goed voorbereid.",
)


class Command(BaseCommand):
    help = "Load the demo organisation WZC De Linde with people, shifts and claims (demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the server runs, for the links printed at the end.",
        )
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Run even when DEBUG is off. The demo passwords are public: never on a real site.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "seed_demo creates accounts with public passwords; it runs only with DEBUG=true "
                "(or --allow-without-debug on a throw-away database)."
            )
        organisation = Organisation.objects.filter(slug=DEMO_SLUG).first()
        if organisation is None:
            organisation = self._seed()
            self._report("Demo data loaded", organisation, since=None)
        elif Shift.objects.filter(organisation=organisation, starts_at__gt=timezone.now()).exists():
            if not self._add_history_if_missing(organisation):
                self.stdout.write(
                    f"Demo data already present: {organisation.name} (nothing changed)."
                )
        else:
            # The demo week is over (make run a week later): plan the next one, same people.
            since = timezone.now()
            self._new_week(organisation)
            self._report("The demo week was over; a new one is planned", organisation, since=since)
            self._add_history_if_missing(organisation)
        self._print_access(organisation, options["base_url"].rstrip("/"))

    def _report(self, what: str, organisation: Organisation, since: dt.datetime | None) -> None:
        zone = ZoneInfo(organisation.time_zone)
        now = timezone.now()
        shifts = Shift.objects.filter(organisation=organisation, starts_at__gt=now)
        claims = Claim.objects.filter(shift__in=shifts)
        if since is not None:
            shifts = shifts.filter(created_at__gte=since)
            claims = claims.filter(created_at__gte=since)
        starts = [start.astimezone(zone) for start in shifts.values_list("starts_at", flat=True)]
        self.stdout.write(
            f"{what}: {organisation.name}, {len(starts)} published shifts from "
            f"{min(starts):%d-%m-%Y} to {max(starts):%d-%m-%Y} ({organisation.time_zone}), "
            f"{claims.count()} claims."
        )
        if since is None:
            self._report_history(organisation)

    def _report_history(self, organisation: Organisation) -> None:
        now = timezone.now()
        past = Claim.objects.filter(shift__organisation=organisation, shift__starts_at__lt=now)
        first = (
            Shift.objects.filter(organisation=organisation, starts_at__lt=now)
            .order_by("starts_at")
            .values_list("starts_at", flat=True)
            .first()
        )
        if first is None:
            return
        follow_ups = ClaimFeedback.objects.filter(
            claim__in=past, needs_follow_up=True, handled_at__isnull=True
        ).count()
        self.stdout.write(
            f"History since {first.astimezone(ZoneInfo(organisation.time_zone)):%d-%m-%Y}: "
            f"{past.filter(status=ClaimStatus.COMPLETED).count()} shifts worked, "
            f"{past.filter(status=ClaimStatus.NO_SHOW).count()} no-shows, "
            f"{follow_ups} follow-ups to handle."
        )

    @transaction.atomic
    def _new_week(self, organisation: Organisation) -> None:
        people = {
            person.key: User.objects.get(email=person.email)
            for person in PEOPLE
            if person.role != STAFF
        }
        qualifications = {
            q.name: q for q in Qualification.objects.filter(organisation=organisation)
        }
        self._plan_week(organisation, people, qualifications)

    @transaction.atomic
    def _seed(self) -> Organisation:
        people = {person.key: self._person(person) for person in PEOPLE}
        staff = people["staff"]
        organisation = organisation_create(
            creator=staff,
            name=DEMO_NAME,
            slug=DEMO_SLUG,
            time_zone=DEMO_TIME_ZONE,
            kind=OrganisationKind.CARE_FACILITY,
        )
        info_note_write(actor=staff, organisation_id=organisation.pk, **INFO_NOTE)
        organisation = organisation_update(
            actor=staff,
            organisation_id=organisation.pk,
            public_page_enabled=True,
            public_description=PUBLIC_DESCRIPTION,
        )
        # As the note says: 15 euro a shift, and transport by kilometre.
        policy_update(
            actor=staff,
            organisation_id=organisation.pk,
            kind=PolicyKind.FLAT_RATE,
            flat_rate_amount=DEMO_ALLOWANCE,
            km_rate=DEMO_KM_RATE,
        )
        coordinator_invite = invite_create(
            actor=staff, organisation=organisation, role=Role.COORDINATOR, max_uses=1
        )
        volunteer_invite = invite_create(
            actor=staff, organisation=organisation, role=Role.VOLUNTEER, valid_for=None
        )
        for person in PEOPLE:
            if person.role == Role.COORDINATOR:
                organisation_join(user=people[person.key], code=coordinator_invite.code)
            elif person.role == Role.VOLUNTEER:
                organisation_join(user=people[person.key], code=volunteer_invite.code)
                # The demo volunteers read the note when they joined (a new volunteer in the
                # bot is shown it before their first claim).
                info_note_acknowledge(
                    user=people[person.key],
                    organisation_id=organisation.pk,
                    version=1,
                    channel=AckChannel.APP,
                )

        coordinator = people["sofie"]
        qualifications = {
            name: qualification_create(
                actor=coordinator, organisation=organisation, name=name, description=description
            )
            for name, description in QUALIFICATIONS.items()
        }
        today = timezone.now().astimezone(ZoneInfo(DEMO_TIME_ZONE)).date()
        qualification_grant(
            actor=coordinator,
            qualification=qualifications[FIRST_AID],
            user=people["an"],
            expires_on=today + dt.timedelta(days=365),
        )
        qualification_grant(
            actor=coordinator, qualification=qualifications[HELPLINE], user=people["an"]
        )

        self._plan_week(organisation, people, qualifications)
        self._add_history(organisation, people)
        return organisation

    def _plan_week(
        self,
        organisation: Organisation,
        people: dict[str, User],
        qualifications: dict[str, Qualification],
    ) -> None:
        """The week of shifts from tomorrow, and the demo volunteers' claims on them."""
        today = timezone.now().astimezone(ZoneInfo(DEMO_TIME_ZONE)).date()
        coordinator = people["sofie"]
        shifts: dict[tuple[str, int], Shift] = {}
        for plan in SHIFT_PLANS:
            for day in plan.days:
                shifts[plan.title, day] = self._shift(
                    plan, day, today, coordinator, organisation, qualifications
                )
        for key, title, day in CLAIMS:
            claim_create(volunteer=people[key], shift_id=shifts[title, day].pk)
        for key, title, day in STAND_INS:
            claim = claim_create(volunteer=people[key], shift_id=shifts[title, day].pk).claim
            stand_in_ask(actor=people[key], claim_id=claim.pk)

    def _add_history_if_missing(self, organisation: Organisation) -> bool:
        """A demo loaded before there was a history gets one (once); True when added. The
        demo week's claims are never completed by this command, so completed or no-show
        claims mean the history is there."""
        if Claim.objects.filter(
            shift__organisation=organisation,
            status__in=[ClaimStatus.COMPLETED, ClaimStatus.NO_SHOW],
        ).exists():
            return False
        people = {person.key: User.objects.get(email=person.email) for person in PEOPLE}
        with transaction.atomic():
            self._add_history(organisation, people)
        self.stdout.write(f"Demo history added: {organisation.name}.")
        self._report_history(organisation)
        return True

    def _add_history(self, organisation: Organisation, people: dict[str, User]) -> None:
        """Past shifts since January of last year with their claims and follow-up answers
        (see "History" above): the rows the services would have left."""
        zone = ZoneInfo(organisation.time_zone)
        now = timezone.now()
        today = now.astimezone(zone).date()
        joined = self._back_date_memberships(organisation, people, today, zone)
        Organisation.objects.filter(pk=organisation.pk).update(created_at=min(joined.values()))
        days = _history_days(today)
        plans = {plan.title: plan for plan in SHIFT_PLANS}
        planned: list[tuple[Shift, dict[str, Outcome]]] = []
        for index, day in enumerate(days):
            recent = len(days) - 1 - index
            lineup = {
                LUNCH: ["an", "youssef", "pieter"],
                READING: ["lotte", "an" if index % 2 else "youssef"],
            }
            if index % 2 == 0:
                lineup[WALK] = ["an", "pieter" if joined["pieter"].date() <= day else "youssef"]
            for title, keys in lineup.items():
                plan = plans[title]
                starts = dt.datetime.combine(day, plan.start, tzinfo=zone)
                cancelled = title == WALK and index == CANCELLED_WALK
                people_outcomes = {
                    key: Outcome(status=ClaimStatus.CANCELLED)
                    if cancelled
                    else RECENT.get((recent, title, key))
                    or EARLY.get((index, title, key))
                    or _usual_outcome(len(planned) + n)
                    for n, key in enumerate(keys)
                    if joined[key] <= starts
                }
                shift = Shift(
                    organisation=organisation,
                    created_by=people["sofie"],
                    title=plan.title,
                    description=plan.description,
                    mode=plan.mode,
                    address=ADDRESS if plan.mode == ShiftMode.ON_SITE else "",
                    meeting_link=(
                        f"https://meet.jit.si/inzet-demo-de-linde-{plan.meeting_room}-{day:%Y%m%d}"
                        if plan.mode == ShiftMode.ONLINE
                        else ""
                    ),
                    starts_at=starts,
                    ends_at=dt.datetime.combine(day, plan.end, tzinfo=zone),
                    capacity=plan.capacity,
                    waitlist_enabled=plan.waitlist,
                    cancellation_deadline_hours=plan.deadline_hours,
                    visibility=plan.visibility,
                    status=ShiftStatus.CANCELLED if cancelled else ShiftStatus.PUBLISHED,
                    # A seat stays taken by a volunteer who came or did not show up.
                    confirmed_count=sum(
                        o.status != ClaimStatus.CANCELLED for o in people_outcomes.values()
                    ),
                )
                planned.append((shift, people_outcomes))
        # In bulk (a few statements, not hundreds); the rows come back with their ids.
        Shift.objects.bulk_create(shift for shift, _ in planned)
        claims: list[Claim] = []
        outcomes: list[Outcome] = []
        for shift, people_outcomes in planned:
            cancelled = shift.status == ShiftStatus.CANCELLED
            for key, outcome in people_outcomes.items():
                claims.append(_past_claim(shift, people[key], outcome, cancelled=cancelled))
                outcomes.append(outcome)
        Claim.objects.bulk_create(claims)
        # The allowance each completed shift earned, as the attendance services record it.
        for claim in claims:
            if claim.status == ClaimStatus.COMPLETED:
                entry_for_completed_claim(
                    Completed(
                        claim_id=claim.pk,
                        volunteer_id=claim.volunteer_id,
                        organisation=organisation,
                        starts_at=claim.shift.starts_at,
                        allowance_category=claim.shift.allowance_category,
                    )
                )
        ClaimFeedback.objects.bulk_create(
            _feedback(claim, outcome, people["sofie"])
            for claim, outcome in zip(claims, outcomes, strict=True)
            if claim.status == ClaimStatus.COMPLETED and outcome.score is not None
        )
        # As if planned two weeks ahead and claimed when confirmed.
        history = Shift.objects.filter(pk__in=[shift.pk for shift, _ in planned])
        history.update(created_at=F("starts_at") - dt.timedelta(days=14))
        Claim.objects.filter(shift__in=history).update(created_at=F("confirmed_at"))
        # No-shows of the last month still count towards the limit (older ones were cleared).
        for claim in claims:
            if claim.status == ClaimStatus.NO_SHOW and claim.shift.ends_at > now - dt.timedelta(
                days=30
            ):
                Membership.objects.filter(
                    organisation=organisation, user_id=claim.volunteer_id
                ).update(no_show_count=F("no_show_count") + 1)

    def _back_date_memberships(
        self,
        organisation: Organisation,
        people: dict[str, User],
        today: dt.date,
        zone: ZoneInfo,
    ) -> dict[str, dt.datetime]:
        joined = {}
        for key, (years_ago, month) in JOINED.items():
            day = min(dt.date(today.year - years_ago, month, 6), today - dt.timedelta(days=14))
            joined[key] = dt.datetime.combine(day, dt.time(10, 0), tzinfo=zone)
            Membership.objects.filter(organisation=organisation, user=people[key]).update(
                joined_at=joined[key]
            )
            User.objects.filter(pk=people[key].pk).update(date_joined=joined[key])
        return joined

    def _person(self, person: DemoPerson) -> User:
        if User.objects.filter(email=person.email).exists():
            raise CommandError(
                f"A user {person.email} exists but the demo organisation does not; "
                "seed_demo only loads into a database without the demo people."
            )
        if person.role == STAFF:
            user = User.objects.create_superuser(person.email, DEMO_PASSWORD)
            profile_ensure(user=user)
            profile_update(user=user, display_name=person.display_name)
            return user
        user = user_register(
            email=person.email,
            password=DEMO_PASSWORD,
            display_name=person.display_name,
            language=person.language,
        )
        profile_update(user=user, mode_preference=person.mode_preference)
        return user

    def _shift(
        self,
        plan: ShiftPlan,
        day: int,
        today: dt.date,
        coordinator: User,
        organisation: Organisation,
        qualifications: dict[str, Qualification],
    ) -> Shift:
        zone = ZoneInfo(organisation.time_zone)
        date = today + dt.timedelta(days=day)
        return shift_create(
            actor=coordinator,
            organisation=organisation,
            title=plan.title,
            description=plan.description,
            starts_at=dt.datetime.combine(date, plan.start, tzinfo=zone),
            ends_at=dt.datetime.combine(date, plan.end, tzinfo=zone),
            capacity=plan.capacity,
            mode=plan.mode,
            address=ADDRESS if plan.mode == ShiftMode.ON_SITE else "",
            meeting_link=(
                f"https://meet.jit.si/inzet-demo-de-linde-{plan.meeting_room}-{date:%Y%m%d}"
                if plan.mode == ShiftMode.ONLINE
                else ""
            ),
            waitlist_enabled=plan.waitlist,
            cancellation_deadline_hours=plan.deadline_hours,
            visibility=plan.visibility,
            required_qualification_ids=[qualifications[name].pk for name in plan.qualifications],
            publish=True,
        )

    def _print_access(self, organisation: Organisation, base_url: str) -> None:
        write = self.stdout.write
        write("")
        write(
            "Demo log-ins (DEMO ONLY: these passwords are public; never use them on a real site):"
        )
        write(f"  {'role':<12} {'e-mail':<30} {'password':<16} notes")
        for person in PEOPLE:
            write(
                f"  {person.role:<12} {person.email:<30} {DEMO_PASSWORD:<16} {person.note}".rstrip()
            )
        invite = (
            InviteCode.objects.filter(organisation=organisation, role=Role.VOLUNTEER, revoked=False)
            .order_by("id")
            .first()
        )
        if invite is not None:
            write(
                f"Invite code for new volunteers: {invite.code} (POST /api/v1/organisations/join/)"
            )
        write("")
        write(f"  Home:      {base_url}/  (sign up as a new coordinator from there)")
        if organisation.public_page_enabled:
            write(f"  Public:    {base_url}/o/{organisation.slug}/  (no log-in)")
        write(f"  API docs:  {base_url}/api/docs/")
        write(f"  OpenAPI:   {base_url}/api/schema/")
        write(f"  Cockpit (log in as {PEOPLE[1].email}):")
        for label, url in cockpit_links(organisation):
            write(f"    {label + ':':<12} {base_url}{url}")
        write(f"  Admin:     {base_url}/admin/  (log in as {PEOPLE[0].email})")
        write(
            f"  Token:     curl -s -X POST {base_url}/api/v1/auth/token/ "
            "-H 'Content-Type: application/json' "
            f"""-d '{{"email": "{PEOPLE[2].email}", "password": "{DEMO_PASSWORD}"}}'"""
        )
        write("")


# The cockpit's pages that the demo shows, by URL name; those not built yet are left out.
COCKPIT_PAGES = (
    ("Board", "board:page"),
    ("People", "board:people"),
    ("Invites", "board:invites"),
    ("Follow-ups", "board:follow_ups"),
    ("Figures", "board:figures"),
    ("Note", "board:info_note"),
    ("Allowances", "board:allowances"),
)


def cockpit_links(organisation: Organisation) -> list[tuple[str, str]]:
    """(label, path) of the demo organisation's cockpit pages that exist."""
    links = []
    for label, name in COCKPIT_PAGES:
        try:
            links.append((label, reverse(name, kwargs={"slug": organisation.slug})))
        except NoReverseMatch:
            continue
    return links


def _history_days(today: dt.date) -> list[dt.date]:
    """Every second week of this year and every third of last year, up to last week."""
    first = dt.date(today.year - 1, 1, 1)
    days = []
    day, week = today - dt.timedelta(days=7), 0
    while day >= first:
        if week % (2 if day.year == today.year else 3) == 0:
            days.append(day)
        day, week = day - dt.timedelta(days=7), week + 1
    return sorted(days)


def _usual_outcome(n: int) -> Outcome:
    """Came, and mostly answered the follow-up well (one in four did not answer)."""
    if n % 4 == 0:
        return Outcome()
    return Outcome(score=4 if n % 3 == 0 else 5, comment=PRAISE[n % 3] if n % 7 == 0 else "")


def _past_claim(shift: Shift, volunteer: User, outcome: Outcome, *, cancelled: bool) -> Claim:
    confirmed_at = shift.starts_at - dt.timedelta(days=6, hours=3)
    claim = Claim(
        shift=shift,
        volunteer=volunteer,
        status=outcome.status,
        confirmed_at=confirmed_at,
        late_cancellation=outcome.late_cancellation,
        cancelled_by_shift=cancelled,
    )
    if outcome.status == ClaimStatus.CANCELLED:
        claim.cancelled_at = (
            shift.starts_at - dt.timedelta(hours=3)
            if outcome.late_cancellation
            else shift.starts_at - dt.timedelta(days=2)
        )
    elif outcome.status == ClaimStatus.COMPLETED:
        # Some checked in and out themselves (a few minutes late), the rest were confirmed
        # by the coordinator with the shift's hours.
        if shift.pk % 3 == 0:
            claim.checked_in_at = shift.starts_at + dt.timedelta(minutes=5)
            claim.checked_out_at = shift.ends_at
        start = claim.checked_in_at or shift.starts_at
        claim.minutes_volunteered = round((shift.ends_at - start).total_seconds() / 60)
    return claim


def _feedback(claim: Claim, outcome: Outcome, coordinator: User) -> ClaimFeedback:
    answered_at = claim.shift.ends_at + dt.timedelta(hours=2)
    handled = bool(outcome.handled_note)
    return ClaimFeedback(
        claim=claim,
        score=outcome.score,
        comment=outcome.comment,
        answered_at=answered_at,
        needs_follow_up=(outcome.score or 5) <= 2 or bool(WORRYING.search(outcome.comment)),
        handled_at=answered_at + dt.timedelta(days=1) if handled else None,
        handled_by=coordinator if handled else None,
        handled_note=outcome.handled_note,
    )
