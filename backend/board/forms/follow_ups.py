"""The follow-ups page's form: a coordinator's note on an answer they dealt with.

The form only parses; the rule (a note of 1 to 2,000 characters, handled once) is the
service's (``follow_up_handle``), whose field errors the view puts on this form.
"""

from __future__ import annotations

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from backend.notifications.services import HANDLED_NOTE_MAX


class HandleFollowUpForm(forms.Form):
    note = forms.CharField(
        label=_("What did you do?"),
        help_text=_("For example: phoned, all is well; passed it on to the care team."),
        required=False,
        # The browser's hints only; the service checks the same on the server.
        widget=forms.Textarea(attrs={"rows": 2, "required": True, "maxlength": HANDLED_NOTE_MAX}),
    )

    def __init__(self, data: QueryDict | None = None, *, feedback_id: int) -> None:
        # One form per answer on the page: ids must differ (``note-12``), names need not.
        super().__init__(data, auto_id=f"%s-{feedback_id}")
