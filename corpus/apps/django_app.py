"""django: apps, backends and management commands loaded by dotted name; migrations found by listing a package; default logging config."""

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="corpus",
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.humanize",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
    USE_I18N=True,
    LANGUAGE_CODE="fr",
    USE_TZ=True,
)
django.setup()

from django.contrib.auth.models import User
from django.core.management import call_command
from django.template import engines
from django.utils import translation

call_command("check")
call_command("migrate", verbosity=0)
User.objects.create_user("ada", password="x")
print(User.objects.count(), User.objects.get().username)
template = engines["django"].from_string("{% load humanize %}{{ n|intcomma }} {{ d|date:'l' }}")
import datetime

with translation.override("fr"):
    print(template.render({"n": 1234567, "d": datetime.date(2024, 3, 14)}))
    print(translation.gettext("Password"))
