"""The production application for the two-node test (tests/test_multinode.py), served by
gunicorn as ``tests.multinode_wsgi:app``. Everything is production's configuration except
the cookies: the test talks plain HTTP on loopback, where a browser (and ``requests``) would
not send ``Secure`` cookies, which the ``__Host-`` names require."""

from marketplace import create_app

app = create_app(
    "production",
    SESSION_COOKIE_SECURE=False,
    SESSION_COOKIE_NAME="souk_session",
    REMEMBER_COOKIE_SECURE=False,
    REMEMBER_COOKIE_NAME="souk_remember",
)
