"""Pipeline stages: thin Scrapy adapters over the pure packages.

archive (WARC + SHA-256) → extract (clean text) → store (one transaction per item).
Each stage also works without Scrapy (construct it with its resources and call `process`),
which is how `rightswatch ingest` runs the same path on a file.
"""
