"""The stack's documentation: an overview, the party module's own docs
(linked in by `cargo xtask update`) and the portal's code (autodoc; the
DOCS_AUTOAPI=0 variable, set by `cargo xtask docs --no-autoapi`, leaves it
out)."""
import os

project = "webstack"
author = "the webstack team"
master_doc = "index"
exclude_patterns = ["_build", "party/conf.py"]
html_theme = "alabaster"
autoapi = os.environ.get("DOCS_AUTOAPI", "1") != "0"
extensions = ["sphinx.ext.autodoc"] if autoapi else []
if not autoapi:
    exclude_patterns.append("portal-api.rst")
