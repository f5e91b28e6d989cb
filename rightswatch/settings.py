"""Scrapy settings for rightswatch.

These are the defaults of every crawl; SourceSpider.from_crawler overrides the politeness and
budget settings per source from rightswatch.toml, so `scrapy crawl source -a source=ID` and
`rightswatch crawl ID` behave the same.
"""

BOT_NAME = "rightswatch"
SPIDER_MODULES = ["rightswatch.spiders"]
NEWSPIDER_MODULE = "rightswatch.spiders"

# Where the crawl reads its configuration and writes its results; `rightswatch crawl` sets
# them, `scrapy crawl` takes them from the environment (RIGHTSWATCH_CONFIG / RIGHTSWATCH_DB).
RIGHTSWATCH_CONFIG = None
RIGHTSWATCH_DB = None
# Extraction and figures run in a process pool so the reactor keeps fetching.  None: one
# worker per core but one (the crawl process needs a core of its own); 0: run inline.
RIGHTSWATCH_EXTRACTION_WORKERS = None

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

ITEM_PIPELINES = {
    "rightswatch.pipelines.archive.ArchivePipeline": 100,
    "rightswatch.pipelines.extract.ExtractPipeline": 200,
    "rightswatch.pipelines.figures.FiguresPipeline": 300,
    "rightswatch.pipelines.diff.DiffPipeline": 400,
    "rightswatch.pipelines.store.StorePipeline": 900,
}
# Components a watcher of public pages never needs cost time on every response.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
    # Before robots.txt (100) and offsite checks, after nothing: a request outside the
    # source's scope is dropped before anything else looks at it.
    "rightswatch.middlewares.ScopeMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "rightswatch.middlewares.BackoffRetryMiddleware": 550,
}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.throttle.AutoThrottle": None,
    "rightswatch.middlewares.ConditionalAwareAutoThrottle": 0,
    "rightswatch.extensions.CrawlRecorder": 100,
}

# Politeness (per-source values from rightswatch.toml replace these).
ROBOTSTXT_OBEY = True
USER_AGENT = "rightswatch (+https://github.com/rightswatch/rightswatch)"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
COOKIES_ENABLED = False

# Bounds: no request waits forever, no page is unbounded, no crawl runs forever.
DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 25_000_000
DOWNLOAD_WARNSIZE = 10_000_000
REDIRECT_MAX_TIMES = 5
DEPTH_LIMIT = 20
CLOSESPIDER_TIMEOUT = 3600
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# The spider records each final failure against the source with its own message.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0

LOG_LEVEL = "INFO"
STATS_DUMP = False
FEED_EXPORT_ENCODING = "utf-8"
