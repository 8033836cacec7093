"""Two-factor sign-in for staff: a code from an authenticator app (TOTP) or a single-use
recovery code after the password, with django-otp's TOTP and static-token devices.

The second factor is asked for at the sign-in boundary. A right password for someone who
must use a second factor does not sign them in: it leaves a short-lived pending marker in the
session (``pending.py``), which no page or API treats as a signed-in user. Only a right code,
or setting up an authenticator app for someone who has none yet, completes the sign-in with
``django.contrib.auth.login`` (which gives the session a new key). API tokens do not sign in
and are not affected.
"""
