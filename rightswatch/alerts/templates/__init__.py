"""Jinja2 templates of alert emails and short messages (a package so that it ships)."""
