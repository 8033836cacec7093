"""Portal link tokens: their own salt, so no other kind of patient link opens the portal."""

from clinic.signed_links import SignedLinks

LINKS = SignedLinks("portal.link")
