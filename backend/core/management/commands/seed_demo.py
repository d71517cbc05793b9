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
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Language, ModePreference, User
from backend.accounts.services import profile_ensure, profile_update, user_register
from backend.organisations.models import (
    InviteCode,
    Organisation,
    OrganisationKind,
    Qualification,
    Role,
)
from backend.organisations.services import (
    invite_create,
    organisation_create,
    organisation_join,
    qualification_create,
    qualification_grant,
)
from backend.shifts.models import Claim, Shift, ShiftMode, ShiftVisibility
from backend.shifts.services import claim_create, shift_create

DEMO_SLUG = "wzc-de-linde"
DEMO_NAME = "WZC De Linde"
DEMO_TIME_ZONE = "Europe/Brussels"
# Public demo password: long enough, not common, not numeric, unlike the e-mail addresses,
# so it passes Django's validators like a real one would have to.
DEMO_PASSWORD = "Linde-demo-2026"
ADDRESS = "Lindelaan 12, 9000 Gent"

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
            self.stdout.write(f"Demo data already present: {organisation.name} (nothing changed).")
        else:
            # The demo week is over (make run a week later): plan the next one, same people.
            since = timezone.now()
            self._new_week(organisation)
            self._report("The demo week was over; a new one is planned", organisation, since=since)
        self._print_access(organisation, options["base_url"].rstrip("/"))

    def _report(self, what: str, organisation: Organisation, since: dt.datetime | None) -> None:
        zone = ZoneInfo(organisation.time_zone)
        shifts = Shift.objects.filter(organisation=organisation)
        claims = Claim.objects.filter(shift__organisation=organisation)
        if since is not None:
            shifts = shifts.filter(created_at__gte=since)
            claims = claims.filter(created_at__gte=since)
        starts = [start.astimezone(zone) for start in shifts.values_list("starts_at", flat=True)]
        self.stdout.write(
            f"{what}: {organisation.name}, {len(starts)} published shifts from "
            f"{min(starts):%d-%m-%Y} to {max(starts):%d-%m-%Y} ({organisation.time_zone}), "
            f"{claims.count()} claims."
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
        write(f"  API docs:  {base_url}/api/docs/")
        write(f"  OpenAPI:   {base_url}/api/schema/")
        write(f"  Board:     {base_url}/board/{organisation.slug}/  (log in as {PEOPLE[1].email})")
        write(f"  Admin:     {base_url}/admin/  (log in as {PEOPLE[0].email})")
        write(
            f"  Token:     curl -s -X POST {base_url}/api/v1/auth/token/ "
            "-H 'Content-Type: application/json' "
            f"""-d '{{"email": "{PEOPLE[2].email}", "password": "{DEMO_PASSWORD}"}}'"""
        )
        write("")
