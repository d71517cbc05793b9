"""Inline keyboards: buttons whose callback data ``backend.telegram.callbacks`` encodes, and
the handler patterns that accept it back."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from backend.telegram.callbacks import encode, parse


def matches(action: str) -> Callable[[object], bool]:
    """A ``CallbackQueryHandler`` pattern accepting valid callbacks of ``action``."""

    def check(data: object) -> bool:
        parsed = parse(data) if isinstance(data, str) else None
        return parsed is not None and parsed.action == action

    return check


def button(text: str, action: str, *args: str | int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=encode(action, *args))


def rows(*rows_: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(row) for row in rows_ if row])
