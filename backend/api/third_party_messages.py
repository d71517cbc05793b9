"""Messages of libraries the API passes on to people, translated in our own catalogs.

Django looks in the project's catalogs (``LOCALE_PATHS``) before an app's own, so a message
listed here is answered in our wording: simplejwt's Dutch says "Token is ge-blacklist".
``gettext_noop`` only marks them for ``makemessages``; nothing here is called.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

SIMPLEJWT = (
    gettext_noop("Token is blacklisted"),
    gettext_noop("Token is invalid"),
    gettext_noop("Token is expired"),
    gettext_noop("Token is invalid or expired"),
    gettext_noop("Given token not valid for any token type"),
)
