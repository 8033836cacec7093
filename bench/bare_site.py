"""The anchor of ``bench/http_bench.py``: a bare Django site (settings, URLconf and WSGI application in
this one module) with one view, served by gunicorn with Stride's own ``gunicorn.conf.py``:

    DJANGO_SETTINGS_MODULE=bench.bare_site gunicorn -c gunicorn.conf.py bench.bare_site:application

No app, no middleware, no database, no template: what any Django request costs under the same
server settings, so the bench can say what Stride's pages cost on top of it.
"""

from __future__ import annotations

import os
import secrets

from django.http import HttpRequest, HttpResponse
from django.urls import path

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_TZ = True


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bare/", bare)]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", __name__)

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after the settings it reads

application = get_wsgi_application()
