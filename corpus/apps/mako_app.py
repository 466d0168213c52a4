"""mako: templates compiled to Python modules at run time, with inheritance and filters."""

from mako.lookup import TemplateLookup
from mako.template import Template

lookup = TemplateLookup()
lookup.put_string("base.txt", "[${self.body()}]")
lookup.put_string("page.txt", "<%inherit file='base.txt'/>hello ${name | h}")
print(lookup.get_template("page.txt").render(name="<x>"))
print(Template("% for i in range(3):\n${i}\n% endfor\n").render().split())
