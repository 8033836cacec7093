import sys


def _rest_framework_without_requests() -> None:
    # Django REST framework's compat module imports requests whenever it is installed, for its
    # RequestsClient test helper alone. requests is installed for the text-message and webhook
    # clients, which import it when they send; imported with the API it is some 6 MiB in every
    # web and Celery process. So the compat module is imported first with requests hidden (it
    # takes it for not installed), and requests stays importable for those who use it.
    if "requests" in sys.modules or "rest_framework.compat" in sys.modules:
        return
    sys.modules["requests"] = None
    try:
        import rest_framework.compat  # noqa: F401
    finally:
        del sys.modules["requests"]


_rest_framework_without_requests()

from clinic.celery import app as celery_app  # noqa: E402

__all__ = ["celery_app"]
