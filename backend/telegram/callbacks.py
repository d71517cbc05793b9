"""The callback data of the bot's inline buttons: encoded and parsed in one place.

Callback data is ``action:arg:arg`` (Telegram allows 64 bytes). The bot's keyboards
(``bots/keyboards.py``) and the notification worker's reminder, follow-up and broadcast
buttons both encode here, and the bot parses here what comes back, so a button the worker
sends is one the bot understands. It is client input: every id in it is re-checked by the
bot's bridge against the volunteer who pressed the button.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.accounts.models import Benefit, Language, ModePreference

# The values buttons may carry (the bot also offers its languages and modes from these).
LANGUAGES = tuple(Language.values)
MODES = tuple(ModePreference.values)
LIST_KINDS = ("all", "online")
# The benefits a volunteer may say they receive; "none" stands for Benefit.NONE ("").
BENEFITS = tuple(value or "none" for value in Benefit.values)
# The reminder times the bot offers (minutes before the shift); the API takes any (up to 4).
# Here because ``when:N`` names the Nth preset: reordering them changes what old buttons mean.
REMINDER_PRESETS: tuple[tuple[int, ...], ...] = (
    (24 * 60, 2 * 60),
    (24 * 60,),
    (2 * 60,),
    (60,),
    (2 * 24 * 60, 2 * 60),
)

# action -> the allowed values of each argument; ``int`` means a positive id or page number.
_SCHEMA: dict[str, tuple[object, ...]] = {
    "claim": (int,),
    # A shift's details before claiming.
    "info": (int,),
    # The information note's "I have read it": organisation, version, the shift to claim.
    "note": (int, int, int),
    # "I completed the first two years of secondary school": the shift to claim.
    "attest": (int,),
    "page": (LIST_KINDS, int),
    "cancel": (int,),
    "cancelyes": (int,),
    "cancelno": (int,),
    # Stand-ins: ask for one (claim id), withdraw it (claim id); accept or decline being
    # asked (request id).
    "stand": (int,),
    "standno": (int,),
    "sia": (int,),
    "sid": (int,),
    # Swaps: choose the other shift (claim id), propose it (claim id, shift id); the partner
    # accepts or declines (swap id).
    "swap": (int,),
    "swapto": (int, int),
    "swa": (int,),
    "swd": (int,),
    "checkin": (int,),
    "checkout": (int,),
    # /my's other buttons: the calendar link, past shifts and hours, leaving an organisation
    # (the list of one's organisations, then the one chosen: confirm or keep).
    "calendar": (),
    "history": (),
    "leave": (),
    "leaveorg": (int,),
    "leaveyes": (int,),
    "leaveno": (int,),
    # Reminder's "I'm coming" (claim id); follow-up score (claim id, 1-5).
    "coming": (int,),
    "score": (int, ("1", "2", "3", "4", "5")),
    # /settings: a choice to open, or (rem, standin, helpnow, digest) a switch to turn over.
    "set": (("lang", "mode", "rem", "when", "ben", "del", "standin", "helpnow", "digest"),),
    "when": (tuple(str(n) for n in range(len(REMINDER_PRESETS))),),
    "lang": (LANGUAGES,),
    "mode": (MODES,),
    "del": (("yes", "no"),),
    # The benefit chosen; then, for unemployment benefit, the day the C45B was handed in.
    "ben": (BENEFITS,),
    "c45b": (("today", "notyet"),),
    "su": (("lang", "name", "mode", "pc"), (*LANGUAGES, *MODES, "keep", "skip")),
}


@dataclass(frozen=True)
class Callback:
    action: str
    args: tuple[str | int, ...]

    def int_arg(self, index: int = 0) -> int:
        value = self.args[index]
        assert isinstance(value, int)
        return value

    def str_arg(self, index: int = 0) -> str:
        return str(self.args[index])


def encode(action: str, *args: str | int) -> str:
    data = ":".join([action, *(str(arg) for arg in args)])
    if parse(data) is None or len(data.encode()) > 64:
        raise ValueError(f"invalid callback data {data!r}")
    return data


def parse(data: str | None) -> Callback | None:
    """The callback in ``data``, or None for anything we did not (or no longer) produce."""
    if not data:
        return None
    action, *raw = data.split(":")
    schema = _SCHEMA.get(action)
    if schema is None or len(raw) != len(schema):
        return None
    args: list[str | int] = []
    for value, allowed in zip(raw, schema, strict=True):
        if allowed is int:
            if not value.isdigit() or len(value) > 18:
                return None
            args.append(int(value))
        elif isinstance(allowed, tuple) and value in allowed:
            args.append(value)
        else:
            return None
    return Callback(action, tuple(args))
