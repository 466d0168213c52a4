"""A Django project started the way manage.py does: settings named by a string, then
django.setup(), a template with the app's own tag library, the system checks and a command of
the app, and a request through the URLconf and middleware."""

import os
import sys

import django
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.template.loader import render_to_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
django.setup()
print(render_to_string("polls/index.html", {"names": ["pear", "apple"]}).strip())
call_command("check")
call_command("greet", "frozen")
environ = {
    "REQUEST_METHOD": "GET",
    "PATH_INFO": "/polls/7/",
    "SERVER_NAME": "testserver",
    "SERVER_PORT": "80",
    "wsgi.url_scheme": "http",
    "wsgi.input": sys.stdin.buffer,
}
body = WSGIHandler()(environ, lambda status, headers: print(status))
print(b"".join(body).decode())
from django.utils.translation import gettext, override  # noqa: E402

with override("de"):
    print(gettext("Yes"))
sys.stdout.flush()
