"""Every text the bot sends, rendered in the volunteer's language (nl by default, en, fr).

Each function takes the language first; the ``@localised`` wrapper activates it for the
gettext calls inside, so catalogs in ``locale/`` translate them (``manage.py makemessages``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Concatenate, ParamSpec, TypeVar

from django.conf import settings
from django.utils import formats, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.accounts.models import Benefit
from backend.allowances.models import Regime
from backend.core.dates import date_text
from backend.core.errors import DomainError
from backend.organisations.models import AllowanceKind, LegalForm
from backend.shifts.models import ClaimStatus
from bots.bridge import (
    AllowanceLine,
    AllowanceYear,
    C45bSaved,
    ClaimView,
    History,
    Leaving,
    Left,
    NoteView,
    PastShift,
    ShiftDetails,
    ShiftPage,
    ShiftView,
    StandInAsked,
    Suggestions,
    Volunteer,
)

P = ParamSpec("P")
R = TypeVar("R")

LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English", "fr": "Français"}
# Telegram refuses longer texts; it counts them in UTF-16 code units.
MESSAGE_LIMIT = 4096
# How many of the claims leaving an organisation cancels its confirmation lists (it is edited
# into one message).
LEAVING_CLAIMS_SHOWN = 10


def localised(fn: Callable[P, R]) -> Callable[Concatenate[str, P], R]:
    @functools.wraps(fn)
    def wrapper(language: str, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override(language):
            return fn(*args, **kwargs)

    return wrapper


def _when(start: dt.datetime, end: dt.datetime) -> str:
    dash = "\N{EN DASH}"
    return f"{date_text(start, 'D j M H:i')}{dash}{formats.time_format(end, 'H:i')}"


def _mode(mode: str) -> str:
    return {"on_site": _("on site"), "online": _("online"), "both": _("on site and online")}[mode]


# --- sign-up ---------------------------------------------------------------------------------


@localised
def ask_language() -> str:
    return _("Welcome to Inzet! Which language do you prefer?")


@localised
def ask_name(first_name: str) -> str:
    if first_name:
        return _(
            "What may we call you? Tap the button to use “%(name)s”, or type another name."
        ) % {"name": first_name}
    return _("What may we call you? Type your first name.")


@localised
def use_name_button(first_name: str) -> str:
    return _("Use “%(name)s”") % {"name": first_name}


@localised
def ask_mode() -> str:
    return _("Where would you like to help?")


@localised
def mode_label(mode: str) -> str:
    return _mode(mode).capitalize()


@localised
def ask_postcode() -> str:
    return _(
        "Optional: send your postcode or region, so coordinators near you can find you. "
        "Or tap Skip."
    )


@localised
def skip_button() -> str:
    return _("Skip")


@localised
def ask_consent() -> str:
    return _(
        "Last step. Inzet keeps your name, language, preferences and, if you share it, your "
        "phone number, so that the coordinators of your organisations can plan shifts with you. "
        "Nobody else sees them. You can delete your data at any time with /settings.\n\n"
        "Do you agree?"
    )


@localised
def agree_with_phone_button() -> str:
    return _("I agree and share my phone number")


@localised
def agree_without_phone_button() -> str:
    return _("I agree, without phone number")


@localised
def please_use_buttons() -> str:
    return _("Please choose one of the buttons (or send /cancel to stop).")


@localised
def name_too_long() -> str:
    return _("That is a bit long for a name. Please send at most 100 characters.")


@localised
def signup_done(name: str) -> str:
    return _(
        "Welcome, %(name)s! You are signed up. Send /shifts to see the shifts you can take, "
        "or /help for everything else."
    ) % {"name": name}


@localised
def benefit_offer() -> str:
    return _(
        "Do you receive unemployment benefit, an integration income (leefloon) or sickness or "
        "invalidity benefit? You may volunteer, but there are steps to take first: tap the "
        "button and I will tell you which. You can also do it later in /settings."
    )


@localised
def benefit_offer_button() -> str:
    return _("I receive a benefit")


@localised
def joined(organisation: str) -> str:
    return _("You joined %(organisation)s.") % {"organisation": organisation}


@localised
def invite_rejected() -> str:
    return _(
        "The invite code did not work (it may have expired). Ask your coordinator for a new link."
    )


@localised
def signup_cancelled() -> str:
    return _("Sign-up stopped; nothing was saved. Send /start whenever you like.")


@localised
def nothing_to_cancel() -> str:
    return _("There is nothing to stop. Send /help to see what I can do.")


@localised
def welcome_back(name: str) -> str:
    return _("Welcome back, %(name)s! Send /shifts to find a shift or /my for yours.") % {
        "name": name
    }


@localised
def not_signed_up() -> str:
    return _("You do not have an account yet. Send /start to sign up (it takes under a minute).")


@localised
def linked(name: str) -> str:
    return _("This chat is now linked to your Inzet account, %(name)s.") % {"name": name}


@localised
def link_usage() -> str:
    return _("Send /link followed by the code from the app, for example: /link ABCD2345")


@localised
def stale_button() -> str:
    return _("This button is out of date. Send /shifts, /my or /settings to start again.")


# --- shifts ----------------------------------------------------------------------------------


def _seats(shift: ShiftView) -> str:
    if shift.seats_left:
        return ngettext("%(count)d seat left", "%(count)d seats left", shift.seats_left) % {
            "count": shift.seats_left
        }
    return _("full, waitlist open")


def _shift_line(shift: ShiftView) -> str:
    line = f"{_when(shift.starts_at, shift.ends_at)} · {shift.title} ({shift.organisation}) · "
    line += f"{_mode(shift.mode)} · {_seats(shift)}"
    if shift.claims_open_at is not None:
        line += " · " + _("claiming opens %(when)s") % {
            "when": date_text(shift.claims_open_at, "D j M H:i")
        }
    return (_("Help now!") + " " + line) if shift.help_now else line


def _how_to_join() -> str:
    """The answer to a volunteer without an organisation who asks for shifts."""
    return _(
        "You are not a member of an organisation yet, so there are no shifts for you "
        "here. Send /join with the invite code your organisation gave you (for example "
        "/join AB12CD34), or open the invite link or QR code they shared."
    )


@localised
def shift_page(page: ShiftPage) -> str:
    if not page.shifts and not page.member:
        return _how_to_join()
    if not page.shifts:
        if page.kind == "online":
            return _("There are no online engagements for you right now. Have a look later!")
        return _("There are no open shifts for you right now. Have a look later!")
    title = _("Online engagements:") if page.kind == "online" else _("Shifts you can take:")
    lines = [f"{number}. {_shift_line(shift)}" for number, shift in enumerate(page.shifts, 1)]
    return "\n".join([title, "", *lines])


@localised
def shift_details(details: ShiftDetails) -> str:
    """A shift before claiming: when, where (the town or online), what, what it asks."""
    shift = details.shift
    lines = [f"{shift.title} ({shift.organisation})", _when(shift.starts_at, shift.ends_at)]
    if shift.mode == "online":
        lines.append(_("Online: the meeting link comes once you are confirmed."))
    elif details.town:
        lines.append(
            _("In %(town)s: the address comes once you are confirmed.") % {"town": details.town}
        )
    else:
        lines.append(_("On site: the address comes once you are confirmed."))
    if details.description:
        lines += ["", details.description]
    lines.append("")
    if details.qualifications:
        lines.append(
            _("Asks for: %(qualifications)s")
            % {"qualifications": ", ".join(details.qualifications)}
        )
    if details.min_age:
        lines.append(_("From %(age)d years old.") % {"age": details.min_age})
    lines.append(capfirst(_seats(shift)))
    return "\n".join(lines).strip()


@localised
def details_button(number: int) -> str:
    return _("Details %(number)d") % {"number": number}


@localised
def claim_this_button() -> str:
    return _("Claim this shift")


@localised
def claim_button(number: int, title: str) -> str:
    return _("Claim %(number)d: %(title)s") % {"number": number, "title": title[:40]}


@localised
def previous_button() -> str:
    return _("◀ Previous")


@localised
def next_button() -> str:
    return _("Next ▶")


@localised
def claim_result(claim: ClaimView) -> str:
    shift = claim.shift
    values = {"title": shift.title, "when": _when(shift.starts_at, shift.ends_at)}
    if claim.status == "waitlisted":
        text = _(
            "%(title)s (%(when)s) is full. You are number %(position)d on the waitlist; "
            "you will hear from us when a seat frees up."
        ) % {**values, "position": claim.waitlist_position or 0}
    else:
        text = _("You are confirmed for %(title)s on %(when)s. Thank you!") % values
        if claim.address:
            text += "\n" + _("Address: %(address)s") % {"address": claim.address}
        if claim.meeting_link:
            text += "\n" + _("Meeting link: %(link)s") % {"link": claim.meeting_link}
    if claim.already_held:
        text = _("You already had this shift.") + "\n" + text
    return text


# --- what the law asks before a claim --------------------------------------------------------


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """``text`` in pieces Telegram takes, each cut at the last paragraph break, line break or
    space of its second half (mid-word only for a word longer than that)."""
    pieces: list[str] = []
    rest = text.strip()
    while _units(rest) > limit:
        window = rest[: _fitting(rest, limit)]
        cut = len(window)
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            if at >= len(window) // 2:
                cut = at
                break
        cut = max(cut, 1)
        pieces.append(window[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def pack(blocks: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """``blocks`` (paragraphs) as few messages as Telegram takes, a blank line between two;
    a block is cut only when it is longer than one message."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in split_message(block, limit):
            joined = f"{current}\n\n{piece}" if current else piece
            if _units(joined) <= limit:
                current = joined
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


@localised
def info_note(note: NoteView) -> list[str]:
    """The organisation's information note, items without content left out, as the messages
    it takes (one, unless it is long); the button goes under the last."""
    blocks = [
        _("Information note of %(organisation)s, version %(version)d")
        % {"organisation": note.organisation, "version": note.version}
        + "\n"
        + _("Before you claim this shift, please read what the organisation tells its volunteers.")
    ]

    def item(heading: str, *lines: str) -> None:
        body = "\n".join(line.strip() for line in lines if line.strip())
        if body:
            blocks.append(f"{heading}\n{body}")

    item(_("Purpose of the organisation"), note.purpose)
    responsible = ""
    if note.legal_form == LegalForm.DE_FACTO and note.responsible_person.strip():
        responsible = _("Responsible person: %(name)s") % {"name": note.responsible_person}
    item(_("Legal form"), _label(LegalForm, note.legal_form), responsible)
    item(
        _("Civil-liability insurance"),
        _("Insurer: %(insurer)s") % {"insurer": note.insurer} if note.insurer.strip() else "",
        _("Policy number: %(number)s") % {"number": note.policy_number}
        if note.policy_number.strip()
        else "",
    )
    item(_("Other insurance"), note.other_insurance)
    item(_("Allowance"), _label(AllowanceKind, note.allowance_kind), note.allowance_details)
    item(_("Discretion and professional secrecy"), note.discretion)
    if note.care_decree:
        law_items = len(blocks)
        item(_("Nature of the work"), note.work_nature)
        item(_("Duration and frequency"), note.duration_frequency)
        item(_("Contact person"), note.contact_person)
        item(_("Required training"), note.required_training)
        item(_("Ending the cooperation"), note.ending_cooperation)
        if len(blocks) > law_items:
            # The agreement note's title, in the same message as its first item.
            blocks[law_items] = _("Agreement note (care decree)") + "\n\n" + blocks[law_items]
    blocks.append(
        _("Tap “%(button)s” to confirm; I will then claim the shift for you.")
        % {"button": _("I have read it")}
    )
    return pack(blocks)


def _label(
    choices: type[LegalForm] | type[AllowanceKind] | type[Benefit] | type[Regime], value: str
) -> str:
    return str(dict(choices.choices).get(value, value))


@localised
def note_read_button() -> str:
    return _("I have read it")


def _birth_date_again() -> str:
    return _("Please send your date of birth like 31-03-2008 (day, month, year), or /cancel.")


@localised
def ask_birth_date() -> str:
    return (
        _("Before you claim this shift, I need your date of birth: volunteers have a minimum age.")
        + "\n"
        + _(
            "Please send it like 31-03-2008 (day, month, year); I will then claim the shift for "
            "you. Send /cancel to stop."
        )
    )


@localised
def ask_birth_date_for(organisation: str) -> str:
    """The date of birth asked on joining ``organisation``, which asks it of every volunteer."""
    return (
        _(
            "%(organisation)s asks every volunteer's date of birth: some of its shifts have a "
            "minimum age."
        )
        % {"organisation": organisation}
        + "\n"
        + _("Please send it like 31-03-2008 (day, month, year). Send /cancel to give it later.")
    )


@localised
def birth_date_unreadable() -> str:
    return _("I could not read that as a date.") + "\n" + _birth_date_again()


@localised
def birth_date_refused(problem: str) -> str:
    """``problem``: the service's sentence, already in the volunteer's language."""
    return problem + "\n" + _birth_date_again()


@localised
def birth_date_saved(birth_date: dt.date) -> str:
    return _("Thank you, your date of birth is saved: %(date)s.") % {
        "date": date_text(birth_date, "j F Y")
    }


@localised
def birth_date_dropped() -> str:
    return _("Fine, I did not claim the shift. Your date of birth was not saved.")


@localised
def birth_date_postponed() -> str:
    return _("Fine, your date of birth was not saved. I will ask for it when a shift needs it.")


@localised
def attestation_offer(error: DomainError) -> str:
    return (
        str(error.detail)
        + "\n\n"
        + _(
            "Have you completed the first two years of secondary school? Then tap the button "
            "and I will claim the shift for you."
        )
    )


@localised
def attestation_button() -> str:
    return _("I have completed the first two years of secondary school")


# --- my claims -------------------------------------------------------------------------------


@localised
def my_claims(claims: list[ClaimView]) -> str:
    if not claims:
        return _("You have no upcoming shifts. Send /shifts to find one.")
    lines = [_("Your upcoming shifts:"), ""]
    for number, claim in enumerate(claims, 1):
        shift = claim.shift
        line = f"{number}. {_when(shift.starts_at, shift.ends_at)} · {shift.title}"
        if claim.started:
            line += " · " + _("under way")
        if claim.status == "waitlisted":
            line += " · " + _("waitlist, number %(position)d") % {
                "position": claim.waitlist_position or 0
            }
        elif claim.address:
            line += " · " + claim.address
        elif claim.meeting_link:
            line += " · " + claim.meeting_link
        lines.append(line)
    return "\n".join(lines)


@localised
def cancel_button(number: int, title: str) -> str:
    return _("Cancel %(number)d: %(title)s") % {"number": number, "title": title[:40]}


@localised
def check_in_button(number: int, title: str) -> str:
    return _("Check in %(number)d: %(title)s") % {"number": number, "title": title[:40]}


@localised
def check_out_button(number: int, title: str) -> str:
    return _("Check out %(number)d: %(title)s") % {"number": number, "title": title[:40]}


@localised
def checked_in(claim: ClaimView) -> str:
    return _("Checked in: %(title)s. Thank you for coming! Check out with /my when you leave.") % {
        "title": claim.shift.title
    }


@localised
def checked_out(claim: ClaimView) -> str:
    minutes = claim.minutes_volunteered or 0
    return _("Checked out: %(title)s, %(hours)d h %(minutes)02d min. Thank you!") % {
        "title": claim.shift.title,
        "hours": minutes // 60,
        "minutes": minutes % 60,
    }


@localised
def confirm_cancel(claim: ClaimView) -> str:
    shift = claim.shift
    text = _("Do you want to cancel %(title)s (%(when)s)?") % {
        "title": shift.title,
        "when": _when(shift.starts_at, shift.ends_at),
    }
    if claim.past_deadline:
        text += "\n\n" + _(
            "Careful: the cancellation deadline has passed. Your cancellation will be recorded "
            "as late; please also let your coordinator know."
        )
    return text


@localised
def yes_cancel_button() -> str:
    return _("Yes, cancel")


@localised
def no_keep_button() -> str:
    return _("No, keep it")


@localised
def cancelled(claim: ClaimView) -> str:
    return _("Cancelled: %(title)s. Thank you for letting us know.") % {"title": claim.shift.title}


@localised
def kept() -> str:
    return _("Fine, you keep your place.")


# --- /my: the calendar link, past shifts, leaving an organisation ----------------------------


@localised
def calendar_button() -> str:
    return _("My calendar link")


@localised
def history_button() -> str:
    return _("Past shifts and hours")


@localised
def leave_button() -> str:
    return _("Leave an organisation")


@localised
def calendar_link(link: str | None) -> str:
    if link is None:
        return _("Calendar links are not available at the moment.")
    return _(
        "Your personal calendar link:\n%(link)s\n\nAdd it to your calendar app as a calendar "
        "from a URL (a subscription): your shifts appear there and stay up to date. Keep the "
        "link to yourself: anyone who has it sees your shifts."
    ) % {"link": link}


def _hours(minutes: int) -> str:
    return _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


def _past_shift_line(shift: PastShift) -> str:
    when = f"{date_text(shift.starts_at, 'D j M Y H:i')}\N{EN DASH}"
    when += formats.time_format(shift.ends_at, "H:i")
    if shift.status == ClaimStatus.COMPLETED:
        outcome = _hours(shift.minutes_volunteered or 0)
    elif shift.status == ClaimStatus.NO_SHOW:
        outcome = _("absent")
    else:
        outcome = _("attendance not recorded yet")
    return " · ".join([when, shift.title, shift.organisation, outcome])


@localised
def history(history: History) -> str:
    if not history.shifts:
        return _("You have no past shifts yet. Send /shifts to find one.")
    lines = [_("Your past shifts, latest first:"), ""]
    lines += [_past_shift_line(shift) for shift in history.shifts]
    if history.older:
        lines.append(
            ngettext(
                "… and %(count)d earlier shift.", "… and %(count)d earlier shifts.", history.older
            )
            % {"count": history.older}
        )
    lines += [
        "",
        ngettext(
            "In %(year)d: %(hours)s in %(count)d shift.",
            "In %(year)d: %(hours)s in %(count)d shifts.",
            history.year_shifts,
        )
        % {
            "year": history.year,
            "hours": _hours(history.year_minutes),
            "count": history.year_shifts,
        },
        ngettext(
            "In all: %(hours)s in %(count)d shift.",
            "In all: %(hours)s in %(count)d shifts.",
            history.total_shifts,
        )
        % {"hours": _hours(history.total_minutes), "count": history.total_shifts},
    ]
    return "\n".join(lines)


@localised
def choose_organisation_to_leave(any_organisation: bool) -> str:
    if not any_organisation:
        return _("You are not a member of any organisation.")
    return _("Which organisation do you want to leave?")


@localised
def confirm_leave(leaving: Leaving) -> str:
    paragraphs = [
        _(
            "Do you want to leave %(organisation)s? You will no longer see the shifts it keeps "
            "for its members, and its coordinators will no longer plan with you."
        )
        % {"organisation": leaving.organisation}
    ]
    if leaving.claims:
        lines = [_("These upcoming shifts of yours there will be cancelled:")]
        lines += [
            f"- {_when(claim.shift.starts_at, claim.shift.ends_at)} · {claim.shift.title}"
            for claim in leaving.claims[:LEAVING_CLAIMS_SHOWN]
        ]
        more = len(leaving.claims) - LEAVING_CLAIMS_SHOWN
        if more > 0:
            lines.append(
                ngettext("… and %(count)d more.", "… and %(count)d more.", more) % {"count": more}
            )
        paragraphs.append("\n".join(lines))
        if any(claim.past_deadline for claim in leaving.claims):
            paragraphs.append(
                _(
                    "Careful: the cancellation deadline has passed for some of them. Those "
                    "cancellations will be recorded as late; please also let your coordinator "
                    "know."
                )
            )
    else:
        paragraphs.append(_("You have no upcoming shifts there."))
    paragraphs.append(
        _("Your past shifts and hours stay in your history. To come back, you need a new invite.")
    )
    return "\n\n".join(paragraphs)


@localised
def yes_leave_button() -> str:
    return _("Yes, leave")


@localised
def no_stay_button() -> str:
    return _("No, stay")


@localised
def left(left: Left) -> str:
    text = _("You have left %(organisation)s.") % {"organisation": left.organisation}
    if left.cancelled:
        text += " " + ngettext(
            "%(count)d upcoming shift was cancelled.",
            "%(count)d upcoming shifts were cancelled.",
            left.cancelled,
        ) % {"count": left.cancelled}
    return text + " " + _("Thank you for your help!")


@localised
def stayed() -> str:
    return _("Fine, you stay a member.")


# --- settings --------------------------------------------------------------------------------


@localised
def settings_text(volunteer: Volunteer, reminder_times: tuple[int, ...]) -> str:
    if volunteer.reminders_enabled:
        reminders = _("on, %(when)s") % {"when": _before(reminder_times)}
    else:
        reminders = _("off")
    return "\n".join(
        [
            _("Your settings:"),
            _("Language: %(language)s") % {"language": LANGUAGE_NAMES[volunteer.language]},
            _("Where you help: %(mode)s") % {"mode": _mode(volunteer.mode_preference)},
            _("Reminders: %(state)s") % {"state": reminders},
            _("Asked to stand in: %(state)s") % {"state": _on_off(volunteer.stand_in_requests)},
            _("Help-now alerts: %(state)s") % {"state": _on_off(volunteer.help_now_alerts)},
            _("Weekly digest: %(state)s") % {"state": _on_off(volunteer.weekly_digest)},
            _("Benefit: %(benefit)s") % {"benefit": _benefit_state(volunteer)},
        ]
    )


def _on_off(on: bool) -> str:
    return _("on") if on else _("off")


def _benefit_state(volunteer: Volunteer) -> str:
    label = _label(Benefit, volunteer.benefit)
    if volunteer.c45b_handed_in_on is None:
        return label
    return _("%(benefit)s, C45B handed in on %(date)s") % {
        "benefit": label,
        "date": date_text(volunteer.c45b_handed_in_on, "j F Y"),
    }


@localised
def language_button() -> str:
    return _("Language")


@localised
def mode_button() -> str:
    return _("On site or online")


@localised
def reminders_button(enabled: bool) -> str:
    return _("Turn reminders off") if enabled else _("Turn reminders on")


def _duration(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _before(offsets: tuple[int, ...]) -> str:
    """``(1440, 120)`` -> "1 day and 2 hours before" (longest first)."""
    parts = [_duration(m) for m in sorted(offsets, reverse=True)]
    if not parts:
        return _("never")
    listed = (
        parts[0]
        if len(parts) == 1
        else _("%(list)s and %(last)s")
        % {
            "list": ", ".join(parts[:-1]),
            "last": parts[-1],
        }
    )
    return _("%(durations)s before") % {"durations": listed}


@localised
def reminder_times_button() -> str:
    return _("When to remind me")


@localised
def ask_reminder_times() -> str:
    return _("When should I remind you of a shift you claimed?")


@localised
def reminder_times_label(offsets: tuple[int, ...]) -> str:
    return _before(offsets)


@localised
def reminder_times_set(offsets: tuple[int, ...]) -> str:
    return _("Saved: I remind you %(when)s each shift, from your next claims on.") % {
        "when": _before(offsets)
    }


@localised
def benefit_button() -> str:
    return _("Benefit")


@localised
def delete_button() -> str:
    return _("Delete my data")


@localised
def choose_language() -> str:
    return _("Which language do you prefer?")


@localised
def language_set() -> str:
    return _("Done: I will speak English from now on.")


@localised
def mode_set(mode: str) -> str:
    return _("Saved: you help %(mode)s.") % {"mode": _mode(mode)}


@localised
def reminders_set(enabled: bool) -> str:
    return _("Reminders are on.") if enabled else _("Reminders are off.")


@localised
def switch_button(switch: str, on: bool) -> str:
    """The /settings button that turns a switch (``bridge.SWITCHES``) the other way."""
    if switch == "standin":
        return _("Stop asking me to stand in") if on else _("Ask me to stand in")
    if switch == "helpnow":
        return _("Turn help-now alerts off") if on else _("Turn help-now alerts on")
    return _("Turn the weekly digest off") if on else _("Turn the weekly digest on")


@localised
def switch_set(switch: str, on: bool) -> str:
    if switch == "standin":
        if on:
            return _("You will be asked to stand in when another volunteer cannot come.")
        return _("You will no longer be asked to stand in for other volunteers.")
    if switch == "helpnow":
        if on:
            per_day = settings.INZET_HELP_NOW_PER_DAY
            return ngettext(
                "Help-now alerts are on: when a shift near you (or online, if you help online) "
                "starts within 3 hours and is still short, I ask you. At most %(count)d a day, "
                "never at night.",
                "Help-now alerts are on: when a shift near you (or online, if you help online) "
                "starts within 3 hours and is still short, I ask you. At most %(count)d a day, "
                "never at night.",
                per_day,
            ) % {"count": per_day}
        return _("Help-now alerts are off.")
    if on:
        return _(
            "The weekly digest is on: on Monday mornings I send you the new shifts you could take."
        )
    return _("The weekly digest is off.")


@localised
def confirm_delete() -> str:
    return _(
        "This deletes your name, phone number, postcode and preferences, cancels your upcoming "
        "shifts and unlinks this chat. Your past shifts stay in your organisations' figures, "
        "without your name. This cannot be undone. Delete your data?"
    )


@localised
def yes_delete_button() -> str:
    return _("Yes, delete my data")


@localised
def no_button() -> str:
    return _("No")


@localised
def deleted() -> str:
    return _(
        "Your data has been deleted. Thank you for all your help! "
        "Send /start if you ever want to come back."
    )


@localised
def delete_kept() -> str:
    return _("Nothing was deleted.")


# --- benefits --------------------------------------------------------------------------------


@localised
def choose_benefit() -> str:
    return _(
        "Do you receive a benefit? Inzet only keeps which one (and for unemployment benefit "
        "the day you handed in the C45B), to tell you what to do; it decides nothing."
    )


@localised
def benefit_label(benefit: str) -> str:
    if not benefit:
        return _("No benefit")
    return _label(Benefit, benefit).capitalize()


@localised
def benefit_saved(benefit: str, advice: str) -> str:
    """``advice``: the domain's advice for ``benefit``, already in the volunteer's language."""
    if not benefit:
        return _("Saved: you receive no benefit.")
    saved = _("Saved: you receive %(benefit)s.") % {"benefit": _label(Benefit, benefit)}
    return f"{saved}\n\n{advice}" if advice else saved


@localised
def ask_c45b_day() -> str:
    return (
        _("On which day did you hand in the C45B?")
        + "\n"
        + _("Tap Today, or send the day like 31-03-2026 (day, month, year).")
    )


@localised
def c45b_today_button() -> str:
    return _("Today")


@localised
def c45b_not_yet_button() -> str:
    return _("Not yet")


@localised
def c45b_saved(saved: C45bSaved) -> str:
    if saved.handed_in_on is None or saved.objection_ends_on is None:
        return _(
            "Fine. Once you have handed in the C45B, send me the day (like 31-03-2026), or "
            "choose unemployment benefit again in /settings."
        )
    return _(
        "Saved: you handed in the C45B on %(day)s. The RVA may object until %(end)s (12 "
        "working days); your organisations can see when that period ends."
    ) % {
        "day": date_text(saved.handed_in_on, "j F Y"),
        "end": date_text(saved.objection_ends_on, "j F Y"),
    }


@localised
def c45b_refused(problem: str) -> str:
    """``problem``: the service's sentence, already in the volunteer's language."""
    return problem + "\n" + _("Send the day you handed in the C45B, like 31-03-2026.")


# --- allowances ------------------------------------------------------------------------------


def _euros(amount: Decimal) -> str:
    """An amount as the language writes it: "1.234,56 €" in Dutch, "€1,234.56" in English
    (Django's number formats: French groups thousands with a non-breaking space)."""
    number = formats.number_format(
        amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        decimal_pos=2,
        use_l10n=True,
        force_grouping=True,
    )
    return f"€{number}" if translation.get_language() == "en" else f"{number} €"


def _km(km: Decimal) -> str:
    """Kilometres, with the tenth only when there is one (the ledger keeps tenths)."""
    whole = km == km.to_integral_value()
    number = formats.number_format(
        km.quantize(Decimal(1) if whole else Decimal("0.1"), rounding=ROUND_HALF_UP),
        decimal_pos=0 if whole else 1,
        use_l10n=True,
        force_grouping=True,
    )
    return f"{number} km"


def _allowance_line(line: AllowanceLine) -> str:
    text = " · ".join([date_text(line.day, "j M Y"), line.organisation, _euros(line.amount)])
    if line.regime == Regime.TRANSPORT and line.km is not None:
        return text + " · " + _("transport, %(km)s") % {"km": _km(line.km)}
    if line.regime != Regime.FLAT_RATE:
        return text + " · " + _label(Regime, line.regime)
    return text


def _allowance_warning() -> str:
    return _(
        "Careful: that is %(share)s or more of the legal yearly cap, counted over every "
        "organisation. Talk to your organisations before you accept more allowances this year."
    ) % {"share": "80 %"}


@localised
def allowance_warning() -> str:
    return _allowance_warning()


@localised
def allowance(year: AllowanceYear) -> str:
    """/allowance: the year's totals, what the caps still leave, the warning at 80 % of the
    yearly cap, the latest entries; paragraphs without content are left out."""
    values = {"year": year.year}
    totals: list[str] = []
    if year.regime is None and not year.transport and not year.transport_km:
        totals.append(_("You have had no volunteer allowances in %(year)s yet.") % values)
    else:
        totals.append(
            _("Your volunteer allowances in %(year)s, counted over every organisation:") % values
        )
        if year.regime == Regime.REAL_COSTS:
            totals.append(
                _("Real costs against receipts: %(amount)s (they have no legal cap)")
                % {"amount": _euros(year.real_costs)}
            )
        else:
            totals.append(
                _("Flat-rate allowances: %(amount)s") % {"amount": _euros(year.flat_rate)}
            )
        if year.transport or year.transport_km:
            totals.append(
                _("Transport: %(amount)s for %(km)s")
                % {"amount": _euros(year.transport), "km": _km(year.transport_km)}
            )
    room: list[str] = []
    if year.yearly_cap is None or year.daily_cap is None:
        room.append(
            _("The legal caps for %(year)s are not known yet, so I cannot tell what remains.")
            % values
        )
    elif year.regime != Regime.REAL_COSTS:
        room.append(
            _("Legal yearly cap: %(cap)s (at most %(daily)s a day).")
            % {"cap": _euros(year.yearly_cap), "daily": _euros(year.daily_cap)}
        )
        if year.yearly_room is not None:
            room.append(
                _("Still possible this year: %(amount)s.") % {"amount": _euros(year.yearly_room)}
            )
        if year.higher_room is not None:
            room.append(
                _("For the activities with the higher cap: %(amount)s still possible.")
                % {"amount": _euros(year.higher_room)}
            )
        if year.km_room is not None:
            room.append(
                _("Transport by kilometre with flat-rate allowances: %(km)s still possible.")
                % {"km": _km(year.km_room)}
            )
    warning = [_allowance_warning()] if year.warn else []
    latest = [_("Latest entries:"), *(_allowance_line(line) for line in year.latest)]
    blocks = [totals, room, warning, latest if year.latest else []]
    return "\n\n".join("\n".join(block) for block in blocks if block)


# --- help and errors -------------------------------------------------------------------------


@localised
def help_text() -> str:
    return "\n".join(
        [
            _("This is what I can do:"),
            _("/shifts - shifts you can take"),
            _("/online - online engagements, including help needed right now"),
            _("/suggest - a few shifts picked for you"),
            _(
                "/my - your shifts (to cancel one, find a stand-in or swap, check in or out), "
                "your calendar link, past shifts and hours, leaving an organisation"
            ),
            _("/settings - language, on site or online, reminders, delete my data"),
            _("/allowance - your volunteer allowances this year and what remains under the cap"),
            _("/join CODE - join an organisation with its invite code"),
            _("/link CODE - link this chat to your account in the app"),
            _("/cancel - stop the sign-up"),
        ]
    )


@localised
def command_menu() -> list[tuple[str, str]]:
    """The command list Telegram shows next to the text field."""
    return [
        ("shifts", _("Shifts you can take")),
        ("online", _("Online engagements and help needed now")),
        ("suggest", _("Shifts picked for you")),
        ("my", _("Your shifts")),
        ("settings", _("Language, reminders, delete my data")),
        ("allowance", _("Your volunteer allowances this year")),
        ("join", _("Join an organisation with its code")),
        ("help", _("What I can do")),
    ]


@localised
def join_usage() -> str:
    return _(
        "Send /join followed by the invite code of your organisation, for example "
        "/join AB12CD34. Your coordinator gives you the code, or an invite link or QR code "
        "that does the same."
    )


@localised
def unknown_command() -> str:
    return _("I do not know that command.") + "\n" + _("Send /help to see what I can do.")


@localised
def free_text() -> str:
    return (
        _("I only understand commands and buttons.") + "\n" + _("Send /help to see what I can do.")
    )


@localised
def something_went_wrong() -> str:
    return _("Sorry, something went wrong on our side. Please try again in a moment.")


@localised
def domain_error(error: DomainError) -> str:
    """A domain error's own sentence (its ``detail``), in the volunteer's language."""
    return str(error.detail)


# --- reminders and follow-ups ----------------------------------------------------------------


@localised
def attendance_noted(claim: ClaimView) -> str:
    return _("Thank you! We count on you for %(title)s, %(when)s.") % {
        "title": claim.shift.title,
        "when": _when(claim.shift.starts_at, claim.shift.ends_at),
    }


@localised
def score_noted(score: int) -> str:
    return _(
        "Thank you for your answer (%(score)s/5). If you want to tell us more, just write it "
        "in a message."
    ) % {"score": score}


@localised
def comment_noted() -> str:
    return _("Thank you, the coordinators will read it.")


# --- suggestions -----------------------------------------------------------------------------


def _reason(reason: str, shift: ShiftView) -> str:
    """A reason of ``backend.shifts.suggestions.Reason`` in words."""
    if reason == "mode":
        return _("%(mode)s, as you prefer") % {"mode": _mode(shift.mode)}
    return {
        "short": _("still needs people"),
        "soon": _("soon"),
        "qualified": _("asks a qualification you have"),
        "familiar": _("like a shift you did before"),
        "returning": _("an organisation you helped before"),
    }[reason]


@localised
def suggestions(found: Suggestions) -> str:
    """/suggest: the shifts picked for the volunteer, each with why."""
    if not found.suggestions and not found.member:
        return _how_to_join()
    if not found.suggestions:
        return _(
            "I have no shift to suggest to you right now. Send /shifts to see every shift "
            "you can take."
        )
    lines = [_("Picked for you:"), ""]
    for number, suggestion in enumerate(found.suggestions, 1):
        lines.append(f"{number}. {_shift_line(suggestion.shift)}")
        if suggestion.reasons:
            why = ", ".join(_reason(reason, suggestion.shift) for reason in suggestion.reasons)
            lines.append("   " + _("Why: %(reasons)s") % {"reasons": why})
    return "\n".join(lines)


# --- stand-ins and swaps ---------------------------------------------------------------------


@localised
def stand_in_hint() -> str:
    return _(
        "Can't come? Instead of cancelling you can ask for a stand-in: you keep your place "
        "until another volunteer takes over, and I let you know. Or swap with someone on "
        "another shift."
    )


@localised
def stand_in_button() -> str:
    return _("Find a stand-in")


@localised
def withdraw_stand_in_button() -> str:
    return _("I can come after all")


@localised
def swap_offer_button() -> str:
    return _("Swap with another shift")


@localised
def stand_in_asked(asked: StandInAsked) -> str:
    shift = asked.shift
    values = {"title": shift.title, "when": _when(shift.starts_at, shift.ends_at)}
    if asked.asked:
        text = ngettext(
            "I asked %(count)s volunteer to take over %(title)s (%(when)s).",
            "I asked %(count)s volunteers to take over %(title)s (%(when)s).",
            asked.asked,
        ) % (values | {"count": asked.asked})
    else:
        text = (
            _("Nobody can be asked to take over %(title)s (%(when)s) right now; I keep trying.")
            % values
        )
    return (
        text
        + " "
        + _(
            "You keep your place, and stay responsible for it, until someone takes over: I "
            "will tell you who."
        )
    )


@localised
def stand_in_withdrawn(shift: ShiftView) -> str:
    return _("Fine: nobody is asked any more, and you keep your place on %(title)s.") % {
        "title": shift.title
    }


@localised
def stand_in_accepted(claim: ClaimView) -> str:
    shift = claim.shift
    text = _("Thank you! You take over %(title)s (%(organisation)s), %(when)s.") % {
        "title": shift.title,
        "organisation": shift.organisation,
        "when": _when(shift.starts_at, shift.ends_at),
    }
    place = claim.address or claim.meeting_link
    if place:
        text += "\n" + _("Where: %(place)s") % {"place": place}
    return text


@localised
def thanks_for_answering() -> str:
    return _("Fine, thank you for answering.")


@localised
def swap_choose(shift: ShiftView, count: int) -> str:
    values = {"title": shift.title, "when": _when(shift.starts_at, shift.ends_at)}
    if not count:
        return (
            _("There is no other shift you could swap %(title)s (%(when)s) for right now.") % values
        )
    return (
        _(
            "Which shift would you take instead of %(title)s (%(when)s)? The volunteers on it "
            "are asked whether they want yours; the first to say yes swaps."
        )
        % values
    )


@localised
def swap_target_button(shift: ShiftView) -> str:
    return f"{shift.title}, {_when(shift.starts_at, shift.ends_at)}"


@localised
def swap_proposed(count: int) -> str:
    return ngettext(
        "I asked %(count)s volunteer whether they want to swap. Until someone says yes, "
        "you keep your own shift.",
        "I asked %(count)s volunteers whether they want to swap. Until someone says yes, "
        "you keep your own shift.",
        count,
    ) % {"count": count}


@localised
def swap_done(claim: ClaimView) -> str:
    shift = claim.shift
    text = _("Swapped! You now have %(title)s (%(organisation)s), %(when)s.") % {
        "title": shift.title,
        "organisation": shift.organisation,
        "when": _when(shift.starts_at, shift.ends_at),
    }
    place = claim.address or claim.meeting_link
    if place:
        text += "\n" + _("Where: %(place)s") % {"place": place}
    return text
