"""Spiders.  One generic SourceSpider serves every configured source."""

from .source import SourceSpider

__all__ = ["SourceSpider"]
