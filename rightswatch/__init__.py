"""rightswatch: a self-hosted monitoring crawler for human-rights reports."""

__version__ = "0.1.0"
