"""Web layer: server-rendered pages in Chinese for every role, beside ``service/api`` and above ``flows``.

Pages call the same use cases as the JSON API and ask the same permission table (``domain.permissions``)
before they run: each page names the API operation it mirrors. A page session is a signed, HttpOnly,
SameSite=Lax cookie holding the same kind of token the API issues (so logout, expiry and disabled
accounts behave alike); every POST carries a CSRF token (Flask-WTF). The JSON API keeps bearer tokens and
never reads the cookie.
"""
from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface, SessionInterface
from flask_wtf.csrf import CSRFProtect

from . import views, views_board, views_ops, views_org  # noqa: F401  (they add their pages to views.bp)
from .session import install_errors

csrf = CSRFProtect()
#: what a plain dict answers as attributes (its methods): ``d.items`` stays the method, as Jinja has it
_DICT_ATTRIBUTES = frozenset(dir(dict))


def _dict_first(environment):
    """Jinja's ``obj.name`` with the same answers, faster for plain dicts (the pages' view data): Jinja tries
    ``getattr`` first, which on a dict raises and catches an AttributeError for every key looked up — 90,000
    times in one rendering of the overview. A dict's key that is not a dict attribute is what Jinja would
    have returned anyway, so it is read directly."""
    generic = environment.getattr

    def getattr_(obj, attribute):
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except (KeyError, TypeError):
                pass
        return generic(obj, attribute)
    return getattr_


class PageSessions(SessionInterface):
    """A signed cookie session for pages; none at all under ``/api`` (bearer tokens only there, and no
    cookie to parse or sign on every API request)."""

    def __init__(self):
        self._cookie = SecureCookieSessionInterface()

    def open_session(self, app, request):
        if request.path.startswith("/api"):
            return self.make_null_session(app)
        return self._cookie.open_session(app, request)

    def save_session(self, app, session, response):
        if session.__class__ is self.null_session_class:
            return None
        return self._cookie.save_session(app, session, response)


def register(app: Flask) -> None:
    """Attach the pages (``/``), their static files (``/static``) and CSRF protection."""
    app.session_interface = PageSessions()
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="bf_session",
                      WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None)
    csrf.init_app(app)
    app.jinja_env.getattr = _dict_first(app.jinja_env)
    app.register_blueprint(views.bp)
    install_errors(app, csrf)
