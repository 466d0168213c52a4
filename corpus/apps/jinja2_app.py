"""jinja2: extensions loaded by dotted name, the markupsafe C speedups, compiled templates."""

import markupsafe
from jinja2 import DictLoader, Environment, select_autoescape

env = Environment(
    loader=DictLoader(
        {
            "base.html": "<h1>{% block t %}{% endblock %}</h1>",
            "page.html": "{% extends 'base.html' %}{% block t %}{{ name }}{% endblock %}",
        }
    ),
    autoescape=select_autoescape(),
    extensions=["jinja2.ext.i18n", "jinja2.ext.loopcontrols", "jinja2.ext.do"],
)
env.install_null_translations()
print(env.get_template("page.html").render(name="<b>frozen</b>"))
print(
    env.from_string(
        "{% for i in range(5) %}{% if i == 3 %}{% break %}{% endif %}{{ _('n') }}{{ i }}{% endfor %}"
    ).render()
)
print(markupsafe.escape("<&>"), markupsafe.escape.__module__)
