"""The signed-in volunteer's suggestions: shifts they can claim, the most urgent and best
fitting first (``backend.shifts.suggestions``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.serializers_suggestions import SuggestionSerializer
from backend.api.users import request_user
from backend.shifts.suggestions import suggestions_for


class MySuggestionsView(APIView):
    @extend_schema(responses=SuggestionSerializer(many=True))
    def get(self, request: Request) -> Response:
        """At most 5 shifts of the next 30 days you can claim, best first: short of people
        and soon, in the mode you prefer, asking qualifications you hold, of organisations and
        kinds of shift you took before. Never a full shift, one whose claims have not opened,
        or one a rule would refuse you (not a member, blocked, too young or your date of
        birth unknown for an age limit, not qualified, overlapping a shift of yours, too
        many claims). A shift whose organisation's information note you have not
        acknowledged yet can be suggested: claiming it answers `info_note_required` until you
        do. Each shift is as the shift list shows it, with `reasons`."""
        suggestions = suggestions_for(request_user(request))
        # No claim of the volunteer is on a suggested shift (``my_claim`` is null); a
        # coordinator sees the address of their own organisation's shifts.
        context = {
            "request": request,
            "claims": {},
            "managed": {s.shift.organisation_id for s in suggestions if s.manages},
        }
        return Response(SuggestionSerializer(suggestions, many=True, context=context).data)
