"""Cockpit area: people. The members of an organisation, their qualifications, no-show blocks,
roles and removal.

Coordinators see everyone and confirm qualifications and clear blocks; changing a role or
removing a member is for admins. The rule is the services' (``membership_set_role``,
``membership_end``: admins only, and the last admin stays); ``cockpit_view(admin=True)`` only
keeps the forms off coordinators' pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.accounts.models import User
from backend.board.forms import show_domain_error
from backend.board.forms.people import (
    MemberSearchForm,
    QualificationCreateForm,
    QualificationExpiryForm,
    QualificationGrantForm,
    RoleForm,
)
from backend.board.views.access import cockpit_view, render_cockpit
from backend.core.errors import DomainError, NotFound, ValidationFailed
from backend.lifecycle.services import membership_end
from backend.organisations.models import (
    Membership,
    Organisation,
    Qualification,
    Role,
    VolunteerQualification,
)
from backend.organisations.selectors import member_of, members_of, qualifications_of
from backend.organisations.services import (
    membership_clear_claim_block,
    membership_set_role,
    qualification_create,
    qualification_grant,
    qualification_revoke,
)
from backend.shifts.selectors import last_shift_starts

# A qualification that runs out within this time is shown as expiring soon.
EXPIRING_SOON = dt.timedelta(days=30)


@dataclass
class HeldRow:
    held: VolunteerQualification
    expired: bool
    expiring: bool  # within EXPIRING_SOON
    form: QualificationExpiryForm


@dataclass
class PersonRow:
    membership: Membership
    held: list[HeldRow]
    last_shift: dt.date | None
    blocked: bool


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _person(
    organisation: Organisation, membership: Membership, last: dict[int, dt.datetime], today: dt.date
) -> PersonRow:
    zone = ZoneInfo(organisation.time_zone)
    started = last.get(membership.user_id)
    held: list[VolunteerQualification] = getattr(membership.user, "held", [])
    return PersonRow(
        membership=membership,
        held=[
            HeldRow(
                held=h,
                expired=not h.valid_on(today),
                expiring=h.expires_on is not None and today <= h.expires_on < today + EXPIRING_SOON,
                form=QualificationExpiryForm(
                    initial={"expires_on": h.expires_on}, qualification_id=h.qualification_id
                ),
            )
            for h in held
        ],
        last_shift=started.astimezone(zone).date() if started else None,
        blocked=membership.claims_blocked_at is not None,
    )


def _today(organisation: Organisation) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(organisation.time_zone)).date()


@require_GET
@cockpit_view()
def people_page(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """Every member with role, qualifications, no-shows and last shift; the catalogue."""
    return _render_people(request, organisation, QualificationCreateForm())


def _render_people(
    request: HttpRequest,
    organisation: Organisation,
    qualification_form: QualificationCreateForm,
    *,
    status: int = 200,
) -> HttpResponse:
    search = MemberSearchForm(request.GET)
    q, role = "", ""
    if search.is_valid():
        q, role = search.cleaned_data["q"], search.cleaned_data["role"]
    today = _today(organisation)
    last = last_shift_starts(organisation_id=organisation.pk, now=timezone.now())
    people = [
        _person(organisation, m, last, today)
        for m in members_of(organisation=organisation, search=q, role=role)
    ]
    context: dict[str, Any] = {
        "people": people,
        "search": search,
        "filtered": bool(q or role),
        "qualifications": qualifications_of(organisation=organisation),
        "qualification_form": qualification_form,
    }
    return render_cockpit(
        request, organisation, "board/people/list.html", context, section="people", status=status
    )


def _membership(organisation: Organisation, membership_id: int) -> Membership:
    """The organisation's membership, else 404 (another organisation's id included)."""
    membership = member_of(organisation=organisation, membership_id=membership_id)
    if membership is None:
        raise Http404
    return membership


def _render_person(
    request: HttpRequest,
    organisation: Organisation,
    membership: Membership,
    *,
    grant_form: QualificationGrantForm | None = None,
    role_form: RoleForm | None = None,
    expiry_error: tuple[int, QualificationExpiryForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    today = _today(organisation)
    last = last_shift_starts(organisation_id=organisation.pk, now=timezone.now())
    person = _person(organisation, membership, last, today)
    if expiry_error is not None:
        for row in person.held:
            if row.held.qualification_id == expiry_error[0]:
                row.form = expiry_error[1]
    qualifications = qualifications_of(organisation=organisation)
    context: dict[str, Any] = {
        "person": person,
        "membership": membership,
        "qualifications": qualifications,
        "grant_form": grant_form
        or QualificationGrantForm(organisation=organisation, qualifications=qualifications),
        "role_form": role_form or RoleForm(initial={"role": membership.role}),
        "no_show_limit": organisation.no_show_limit,
    }
    return render_cockpit(
        request, organisation, "board/people/person.html", context, section="people", status=status
    )


@require_GET
@cockpit_view()
def person_page(
    request: HttpRequest, organisation: Organisation, membership_id: int
) -> HttpResponse:
    """One member: their qualifications (confirm, change the expiry, remove), their no-show
    block, and for admins their role and removal."""
    return _render_person(request, organisation, _membership(organisation, membership_id))


def _person_url(organisation: Organisation, membership_id: int) -> str:
    return reverse("board:person", args=[organisation.slug, membership_id])


def _back(request: HttpRequest, organisation: Organisation, membership_id: int) -> str:
    """Back to the list when the action came from there, else to the member's page: only
    these two places, so the form cannot send anyone elsewhere."""
    if request.POST.get("back") == "list":
        return reverse("board:people", args=[organisation.slug])
    return _person_url(organisation, membership_id)


@require_POST
@cockpit_view()
def qualification_new(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """Add a qualification to the organisation's catalogue."""
    form = QualificationCreateForm(request.POST)
    if form.is_valid():
        try:
            qualification = qualification_create(
                actor=_actor(request),
                organisation=organisation,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(
                request, _("Qualification “%(name)s” added.") % {"name": qualification.name}
            )
            return HttpResponseRedirect(reverse("board:people", args=[organisation.slug]))
    return _render_people(request, organisation, form, status=400)


@require_POST
@cockpit_view()
def person_grant(
    request: HttpRequest, organisation: Organisation, membership_id: int
) -> HttpResponse:
    """Confirm that the member holds a qualification, until a date or without one."""
    membership = _membership(organisation, membership_id)
    form = QualificationGrantForm(request.POST, organisation=organisation)
    if form.is_valid():
        qualification: Qualification = form.cleaned_data["qualification"]
        try:
            qualification_grant(
                actor=_actor(request),
                qualification=qualification,
                user=membership.user,
                expires_on=form.cleaned_data["expires_on"],
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(
                request,
                _("%(qualification)s confirmed for %(name)s.")
                % {"qualification": qualification.name, "name": _name(membership)},
            )
            return HttpResponseRedirect(_person_url(organisation, membership_id))
    return _render_person(request, organisation, membership, grant_form=form, status=400)


@require_POST
@cockpit_view()
def person_set_expiry(
    request: HttpRequest, organisation: Organisation, membership_id: int, qualification_id: int
) -> HttpResponse:
    """A new expiry date (or none) for a qualification the member holds."""
    membership = _membership(organisation, membership_id)
    held = _held(membership, qualification_id)
    form = QualificationExpiryForm(request.POST, qualification_id=qualification_id)
    if form.is_valid():
        try:
            qualification_grant(
                actor=_actor(request),
                qualification=held.qualification,
                user=membership.user,
                expires_on=form.cleaned_data["expires_on"],
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(
                request,
                _("The expiry of %(qualification)s for %(name)s is saved.")
                % {"qualification": held.qualification.name, "name": _name(membership)},
            )
            return HttpResponseRedirect(_person_url(organisation, membership_id))
    return _render_person(
        request, organisation, membership, expiry_error=(qualification_id, form), status=400
    )


@require_POST
@cockpit_view()
def person_revoke(
    request: HttpRequest, organisation: Organisation, membership_id: int, qualification_id: int
) -> HttpResponse:
    """The member no longer holds this qualification."""
    membership = _membership(organisation, membership_id)
    held = _held(membership, qualification_id)
    try:
        qualification_revoke(actor=_actor(request), held=held)
    except DomainError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(
            request,
            _("%(qualification)s removed from %(name)s.")
            % {"qualification": held.qualification.name, "name": _name(membership)},
        )
    return HttpResponseRedirect(_person_url(organisation, membership_id))


def _held(membership: Membership, qualification_id: int) -> VolunteerQualification:
    """The member's qualification (read with the membership), else 404."""
    held: list[VolunteerQualification] = getattr(membership.user, "held", [])
    for each in held:
        if each.qualification_id == qualification_id:
            return each
    raise Http404


@require_POST
@cockpit_view()
def person_clear_block(
    request: HttpRequest, organisation: Organisation, membership_id: int
) -> HttpResponse:
    """Let a member blocked after no-shows claim again; their count starts over."""
    membership = _membership(organisation, membership_id)
    try:
        membership_clear_claim_block(actor=_actor(request), membership=membership)
    except DomainError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(
            request, _("%(name)s can claim shifts again.") % {"name": _name(membership)}
        )
    return HttpResponseRedirect(_back(request, organisation, membership_id))


@require_POST
@cockpit_view(admin=True)
def person_role(
    request: HttpRequest, organisation: Organisation, membership_id: int
) -> HttpResponse:
    """Change a member's role (admins)."""
    membership = _membership(organisation, membership_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            membership_set_role(
                actor=_actor(request), membership=membership, role=form.cleaned_data["role"]
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is now %(role)s.")
                % {"name": _name(membership), "role": Role(membership.role).label},
            )
            return HttpResponseRedirect(_person_url(organisation, membership_id))
    return _render_person(request, organisation, membership, role_form=form, status=400)


@require_http_methods(["GET", "POST"])
@cockpit_view(admin=True)
def person_remove(
    request: HttpRequest, organisation: Organisation, membership_id: int
) -> HttpResponse:
    """Remove a member (admins), after a page that says what it does."""
    membership = _membership(organisation, membership_id)
    error: str | None = None
    if request.method == "POST":
        try:
            membership_end(actor=_actor(request), membership_id=membership.pk)
        except NotFound:
            raise Http404 from None
        except ValidationFailed as refused:
            error = " ".join(m for ms in refused.fields.values() for m in ms) or str(refused.detail)
        except DomainError as refused:
            error = str(refused.detail)
        else:
            messages.success(
                request,
                _("%(name)s is no longer a member of %(organisation)s.")
                % {"name": _name(membership), "organisation": organisation.name},
            )
            return HttpResponseRedirect(reverse("board:people", args=[organisation.slug]))
    return render_cockpit(
        request,
        organisation,
        "board/people/remove.html",
        {"membership": membership, "error": error},
        section="people",
        status=400 if error else 200,
    )


def _name(membership: Membership) -> str:
    return membership.user.profile.display_name


urlpatterns = [
    path("<slug:slug>/people/", people_page, name="people"),
    path("<slug:slug>/people/qualifications/", qualification_new, name="qualification_new"),
    path("<slug:slug>/people/<int:membership_id>/", person_page, name="person"),
    path(
        "<slug:slug>/people/<int:membership_id>/qualifications/",
        person_grant,
        name="person_grant",
    ),
    path(
        "<slug:slug>/people/<int:membership_id>/qualifications/<int:qualification_id>/",
        person_set_expiry,
        name="person_set_expiry",
    ),
    path(
        "<slug:slug>/people/<int:membership_id>/qualifications/<int:qualification_id>/remove/",
        person_revoke,
        name="person_revoke",
    ),
    path(
        "<slug:slug>/people/<int:membership_id>/clear-block/",
        person_clear_block,
        name="person_clear_block",
    ),
    path("<slug:slug>/people/<int:membership_id>/role/", person_role, name="person_role"),
    path("<slug:slug>/people/<int:membership_id>/remove/", person_remove, name="person_remove"),
]
