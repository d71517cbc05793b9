"""Messages of libraries the API passes on to people, translated in our own catalogs.

Django looks in the project's catalogs (``LOCALE_PATHS``) before an app's own, so a message
listed here is answered in our wording: simplejwt's Dutch says "Token is ge-blacklist".
``gettext_noop`` and the lazy plurals only mark them for ``makemessages``; nothing here is
evaluated.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

SIMPLEJWT = (
    gettext_noop("Token is blacklisted"),
    gettext_noop("Token is invalid"),
    gettext_noop("Token is expired"),
    gettext_noop("Token is invalid or expired"),
    gettext_noop("Given token not valid for any token type"),
)

# Django's password validators and password forms: its Dutch says "u", the product says "je".
# Django writes these with a typographic apostrophe, which the msgids must match.
DJANGO_PASSWORDS = (
    gettext_noop("Your old password was entered incorrectly. Please enter it again."),
    gettext_noop("Your password can’t be a commonly used password."),  # noqa: RUF001
    gettext_noop("Your password can’t be entirely numeric."),  # noqa: RUF001
    gettext_noop("Your password can’t be too similar to your other personal information."),  # noqa: RUF001
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        1,
    ),
)

# DRF's validation messages that its own Dutch (and French) catalogue lacks, so that no
# English sentence reaches a Dutch or French answer.
DRF = (
    gettext_noop("A valid biginteger is required."),
    gettext_noop("Datetime value out of range."),
    gettext_noop("Ensure this field has at least {min_length} elements."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop(
        'Enter a valid "slug" consisting of Unicode letters, numbers, underscores, or hyphens.'
    ),
    gettext_noop("Integer value too large to convert to float"),
    gettext_noop('Invalid datetime for the timezone "{timezone}".'),
    gettext_noop("Invalid input."),
    gettext_noop("Must be a valid UUID."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Not a valid string."),
    gettext_noop("The number of days must be between {min_days} and {max_days}."),
    gettext_noop("This dictionary may not be empty."),
)
