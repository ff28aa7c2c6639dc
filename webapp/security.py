"""Browser-side defences on every response: pages, API answers, error pages and static files."""

from __future__ import annotations

from flask import Flask, Response, request

# The pages use only their own stylesheet and script (no inline code, no third-party origin), so
# everything else can be refused; frame-ancestors is the CSP twin of X-Frame-Options.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def _secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers[name] = value
    # Dossiers, inboxes and tokens must not stay in a shared or back-button cache; only static files may.
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure)
