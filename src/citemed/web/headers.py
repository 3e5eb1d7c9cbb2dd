"""The headers every response carries, whoever built it (routes, middleware, error handlers)."""

from __future__ import annotations

SECURITY_HEADERS = {
    # No inline script or style anywhere: every asset comes from /static.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def challenge_for(path: str) -> str:
    """The WWW-Authenticate value a 401 must carry (RFC 9110 section 11.6.1): the JSON API takes
    bearer tokens, pages a login session."""
    if path.startswith("/api/"):
        return 'Bearer realm="citemed"'
    return 'Cookie realm="citemed", form="/login"'


def add_security_headers(headers: dict[str, str], path: str, status: int) -> dict[str, str]:
    """`headers` plus every security header it lacks (for responses built outside the
    middleware, such as the 500 page)."""
    present = {name.lower() for name in headers}
    out = dict(headers)
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            out[name] = value
    if status == 401 and "www-authenticate" not in present:
        out["WWW-Authenticate"] = challenge_for(path)
    return out
