"""Taking the raw token out of a request once it has been read."""

from __future__ import annotations

from django.http import HttpRequest, QueryDict
from django.views.decorators.debug import sensitive_variables

# What an error report shows in place of the token.
REDACTED = "********************"


@sensitive_variables()
def take_token_out_of_request(request: HttpRequest) -> str:
    """The link's `token` query parameter, removed from the request itself.

    An error report quotes the request's URL and query parameters, and Django's report
    filters hide neither; once the token is read, the request shows it as `********`.
    """
    token = request.GET.get("token", "")
    query = request.GET.copy()
    query["token"] = REDACTED
    request.META["QUERY_STRING"] = query.urlencode(safe="*")
    request.GET = QueryDict(request.META["QUERY_STRING"])
    return token
