"""Custom Scrapy signals (objects used as identities, like scrapy.signals)."""

# A page or discovery document could not be fetched or read: url, kind, message.
page_failed = object()
