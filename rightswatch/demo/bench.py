"""A scaled-up generated site for benchmarks: N article pages that look like the CHRG site.

Pages are generated lazily from a seed (the page number) and cached, so a server with
100,000 pages starts instantly and the same page is always byte-identical. The chrome is
rendered once through the real jinja2 template with placeholders; each page then only
assembles its own text, which keeps generation far above 2,000 pages per second.
"""

from __future__ import annotations

import random
import re
import threading
from datetime import UTC, datetime, timedelta

from rightswatch.demo.sites import (
    MONTHS,
    WP_LABELS,
    excerpt,
    human_date,
    iso,
    paginate,
    render,
    w3c,
)
from rightswatch.demo.web import Request, Response, html, not_found

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
PER_PAGE = 20
SITEMAP_CHUNK = 1000
_MARK = "\x00{}\x00"

PLACES = [
    "Simferopol",
    "Sevastopol",
    "Kerch",
    "Feodosiia",
    "Yevpatoriia",
    "Dzhankoi",
    "Bakhchysarai",
    "Melitopol",
    "Berdiansk",
    "Henichesk",
    "Skadovsk",
    "Nova Kakhovka",
    "Enerhodar",
    "Tokmak",
    "Mariupol",
    "Starobilsk",
]
GROUPS = [
    "the Crimean Human Rights Group",
    "the Crimean Tatar Resource Center",
    "the Eastern Human Rights Group",
    "ZMINA Human Rights Centre",
    "the Mission of the President of Ukraine in Crimea",
    "local monitors",
]
SUBJECTS = [
    ("criminal cases for evading service", "cases"),
    ("residents forcibly mobilised", "people"),
    ("summonses handed out", "summonses"),
    ("residents detained during raids", "people"),
    ("deaths of conscripted residents", "deaths"),
    ("students pressed to sign contracts", "students"),
]
QUALIFIERS = ["at least", "more than", "nearly", "about", "no fewer than", ""]
OPENERS = [
    "According to {group}, {qual} {num} {subject} were recorded in {place} {period}.",
    "{Group} reports {qual} {num} {subject} in {place} {period}.",
    "In {place}, monitors counted {qual} {num} {subject} {period}, {group} said.",
    "The number of {subject} in {place} has reached {qual} {num} {period}, according to {group}.",
]
DETAILS = [
    "A {age}-year-old resident of {place} told monitors he received a summons at work on "
    "{dd} {month}.",
    "Among them is {name} ({age}), who was detained at a checkpoint near {place}.",
    "Under Article {article} of the RF Criminal Code, refusal can lead to imprisonment of up "
    "to {years} years.",
    "Relatives were given {days} days to report to the enlistment office in {place}.",
    "The monitors could confirm {share} of the cases through court registries in {year}.",
    "Lawyers say that at least {small} families have asked for help since {month_name}.",
]
CLOSERS = [
    "Human rights defenders recall that conscription of residents of occupied territory is "
    "prohibited by Article 51 of the Fourth Geneva Convention.",
    "The organisation has passed the information to the UN Human Rights Monitoring Mission.",
    "Monitors stress that the real figures are likely higher, as many families fear reprisals.",
    "The full list of sources is available on request to researchers and journalists.",
]
COMMENTS = [
    "My cousin (24) got a summons last week, thank you for writing about it.",
    "Is there a lawyer in Kerch who takes such cases?",
    "Shared this with our community chat.",
    "The numbers are surely higher in the villages.",
    "Please publish the list of courts involved.",
]
NAMES = ["Ivan", "Rustem", "Oleksandr", "Emil", "Serhii", "Lenur", "Dmytro", "Ernest", "Taras"]
MONTH_EN = MONTHS["en"]
PERIODS = [
    "in October",
    "this autumn",
    "since September 2022",
    "since 2015",
    "since February 2022",
    "in the past month",
    "during the spring call-up",
]
TAGS = [
    "mobilisation",
    "conscription",
    "Crimea",
    "occupied territories",
    "courts",
    "Article 328",
    "summonses",
    "Kherson region",
    "Zaporizhzhia region",
    "monitoring",
    "political prisoners",
    "Crimean Tatars",
    "deaths",
    "captivity",
    "enlistment offices",
]


def _number(rng: random.Random) -> str:
    value = rng.choice([rng.randint(12, 990), rng.randint(1_000, 99_000)])
    style = rng.randint(0, 3)
    if value >= 1000 and style == 0:
        return f"{value:,}"
    if value >= 1000 and style == 1:
        return f"{value // 1000} thousand" if value % 1000 == 0 else f"{value:,}"
    return str(value)


def _paragraph(rng: random.Random) -> str:
    subject, _unit = rng.choice(SUBJECTS)
    group = rng.choice(GROUPS)
    fields = {
        "group": group,
        "Group": group[0].upper() + group[1:],
        "qual": rng.choice(QUALIFIERS),
        "num": _number(rng),
        "subject": subject,
        "place": rng.choice(PLACES),
        "period": rng.choice(PERIODS),
        "age": rng.randint(18, 58),
        "dd": rng.randint(1, 28),
        "month": MONTH_EN[rng.randint(0, 11)],
        "month_name": MONTH_EN[rng.randint(0, 11)],
        "name": rng.choice(NAMES),
        "article": rng.choice([328, 332, 337, 338, 339]),
        "years": rng.choice([2, 3, 5, 10]),
        "days": rng.choice([3, 5, 10]),
        "share": f"{rng.randint(20, 95)} percent",
        "year": rng.randint(2015, 2026),
        "small": rng.randint(5, 60),
    }
    sentences = [rng.choice(OPENERS)]
    sentences += rng.sample(DETAILS, rng.randint(2, 4))
    if rng.random() < 0.5:
        sentences.append(rng.choice(CLOSERS))
    return " ".join(s.format(**fields) for s in sentences).replace("  ", " ")


class BenchSite:
    """The generated site under /bench/; independent of the simulated day."""

    def __init__(self, base_url: str, pages: int) -> None:
        self.base = base_url
        self.pages = pages
        self._epoch = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self._cache: dict[int, bytes] = {}
        self._titles: dict[int, str] = {}
        self._lock = threading.Lock()
        self._parts = self._chrome()

    def _chrome(self) -> list[str]:
        """The article template rendered once, split around the per-page placeholders."""
        labels = WP_LABELS["en"]
        menu = [
            {
                "label": f"{t.title()}",
                "url": f"{self.base}/bench/tag/{t.replace(' ', '-').lower()}/",
            }
            for t in TAGS
        ]
        site = {
            "id": "bench",
            "name": "Crimea Monitoring Network",
            "tagline": "Daily monitoring",
            "home": f"{self.base}/bench/",
            "menu": menu,
            "langs": [],
            "alternates": [],
            "feed_url": "",
            "labels": labels,
            "contact_text": labels["contact_text"],
            "accent": "#245c3a",
            "meta_charset": "",
        }
        marks = {
            k: _MARK.format(k)
            for k in (
                "title",
                "canonical",
                "desc",
                "pub",
                "mod",
                "human",
                "views",
                "pid",
                "body",
                "related",
                "comments",
            )
        }
        page = {
            "title": marks["title"],
            "html_lang": "en-US",
            "canonical": marks["canonical"],
            "description": marks["desc"],
            "og_locale": "en_US",
            "og_type": "article",
            "body_class": "single",
            "published_iso": marks["pub"],
            "modified_iso": marks["mod"],
            "shortlink": "",
            "jsonld": "",
        }
        popular = [
            {
                "title": f"{p}: a monitoring overview",
                "url": f"{self.base}/bench/news/",
                "views": 1000 + i * 37,
            }
            for i, p in enumerate(PLACES)
        ]
        archives = [
            {"label": f"{MONTH_EN[m]} 2026", "url": f"{self.base}/bench/2026/{m + 1:02d}/"}
            for m in range(10, -1, -1)
        ]
        article = {
            "title": marks["title"],
            "url": marks["canonical"],
            "post_id": marks["pid"],
            "category": "news",
            "category_label": "News",
            "category_url": f"{self.base}/bench/news/",
            "published_iso": marks["pub"],
            "published_human": marks["human"],
            "modified_iso": marks["mod"],
            "modified_human": marks["human"],
            "edited": False,
            "author": "Monitoring desk",
            "views": marks["views"],
            "paragraphs": [],
            "pdf_url": "",
        }
        text = render(
            "wp_article.html",
            site=site,
            page=page,
            sidebar={"popular": popular, "archives": archives},
            article=article,
            related=[],
            comments=None,
        )
        text = text.replace(
            '<div class="entry-content">', '<div class="entry-content">' + marks["body"], 1
        )
        text = text.replace("</article>", "</article>" + marks["related"] + marks["comments"], 1)
        return text.split("\x00")

    def published(self, n: int) -> datetime:
        """Page n's publication time: newest page last, 13 hours apart, ending at start-up.

        Anchored on the real clock (not the demo calendar) so that, like a real archive of
        2,000 reports over three years, only the newest few dozen fall inside a crawler's
        re-check window, whatever the date the benchmark runs on.
        """
        return self._epoch - timedelta(hours=13 * (self.pages - n + 1))

    def title(self, n: int) -> str:
        """Page n's headline (deterministic)."""
        cached = self._titles.get(n)
        if cached is None:
            rng = random.Random(n * 7919)
            subject, _ = rng.choice(SUBJECTS)
            qual = rng.choice(QUALIFIERS) or "new"
            cached = f"{rng.choice(PLACES)}: {qual} {_number(rng)} {subject}"
            self._titles[n] = cached
        return cached

    def path(self, n: int) -> str:
        """Page n's URL path: /bench/news/000123-some-slug/."""
        slug = _SLUG_JUNK.sub("-", self.title(n).lower()).strip("-")[:60].strip("-")
        return f"/bench/news/{n:06d}-{slug}/"

    def page(self, n: int) -> bytes:
        """The HTML of article n (1-based), generated once and cached."""
        cached = self._cache.get(n)
        if cached is not None:
            return cached
        rng = random.Random(n)
        title = self.title(n)
        paragraphs = [_paragraph(rng) for _ in range(rng.randint(3, 6))]
        body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
        related = "".join(
            f'<li><a href="{self.base}{self.path(m)}">{self.title(m)}</a></li>'
            for m in (max(1, n - k) for k in (1, 2, 3, 5, 8))
        )
        comments = "".join(
            f'<li class="comment"><article class="comment-body"><footer class="comment-meta">'
            f'<b class="fn">{rng.choice(NAMES)}</b></footer><div class="comment-content"><p>'
            f"{rng.choice(CLOSERS)} {rng.choice(COMMENTS)}"
            f"</p></div></article></li>"
            for _ in range(rng.randint(2, 50))
        )
        published = self.published(n)
        values = {
            "title": title,
            "canonical": f"{self.base}{self.path(n)}",
            "desc": excerpt(paragraphs[0], 150),
            "pub": iso(published),
            "mod": iso(published),
            "human": human_date(published, "en"),
            "views": str(rng.randint(150, 9000)),
            "pid": str(100_000 + n),
            "body": body,
            "related": (
                f'<section class="related-posts"><h2>Related posts</h2><ul>{related}</ul></section>'
            ),
            "comments": (
                '<div id="comments" class="comments-area"><ol class="comment-list">'
                f"{comments}</ol></div>"
            ),
        }
        parts = self._parts
        out = [part if i % 2 == 0 else values[part] for i, part in enumerate(parts)]
        data = "".join(out).encode("utf-8")
        with self._lock:
            self._cache[n] = data
        return data

    def handle(self, req: Request) -> Response:
        """Serve article pages, listings and sitemaps."""
        path = req.path
        if path in ("/bench/", "/bench/news/"):
            return self.listing(req)
        if path == "/bench/sitemap.xml":
            chunks = -(-self.pages // SITEMAP_CHUNK)
            entries = [
                {
                    "loc": f"{self.base}/bench/sitemap-{k}.xml",
                    "lastmod": w3c(self.published(min(self.pages, k * SITEMAP_CHUNK))),
                }
                for k in range(1, chunks + 1)
            ]
            return self._xml(render("sitemap_index.xml", sitemaps=entries))
        if path.startswith("/bench/sitemap-") and path.endswith(".xml"):
            k = path[len("/bench/sitemap-") : -4]
            if not k.isdigit() or not 1 <= int(k) <= -(-self.pages // SITEMAP_CHUNK):
                return not_found()
            first = (int(k) - 1) * SITEMAP_CHUNK + 1
            last = min(self.pages, int(k) * SITEMAP_CHUNK)
            urls = [
                {"loc": f"{self.base}{self.path(n)}", "lastmod": w3c(self.published(n))}
                for n in range(first, last + 1)
            ]
            return self._xml(render("sitemap_urlset.xml", urls=urls))
        if path.startswith("/bench/news/") and path.endswith("/"):
            head = path[len("/bench/news/") :].split("-", 1)[0]
            if head.isdigit() and 1 <= int(head) <= self.pages and path == self.path(int(head)):
                n = int(head)
                return Response(body=self.page(n), modified=self.published(n), validators="etag+lm")
        return not_found()

    def listing(self, req: Request) -> Response:
        arg = req.arg("page", "1")
        page = int(arg) if arg.isdigit() and int(arg) > 0 else 1
        numbers = list(range(self.pages, 0, -1))
        chunk, pages = paginate(numbers, page, PER_PAGE)
        if page > pages:
            return not_found()
        items = "".join(
            f'<article class="post"><h2 class="entry-title"><a href="{self.base}{self.path(n)}">'
            f'{self.title(n)}</a></h2><time datetime="{iso(self.published(n))}">'
            f"{human_date(self.published(n), 'en')}</time></article>"
            for n in chunk
        )
        nav = ""
        listing = f"{self.base}/bench/news/?page="
        if page > 1:
            nav += f'<a class="prev page-numbers" href="{listing}{page - 1}">Previous</a>'
        if page < pages:
            nav += f'<a class="next page-numbers" href="{listing}{page + 1}">Next</a>'
        body = (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>News, page {page}'
            f'</title></head><body><main>{items}</main><nav class="pagination">{nav}</nav>'
            "</body></html>"
        )
        newest = self.published(chunk[0]) if chunk else None
        return html(body, modified=newest, validators="etag+lm")

    def _xml(self, text: str) -> Response:
        return Response(
            body=text.encode(),
            content_type="application/xml; charset=UTF-8",
            modified=self.published(self.pages),
            validators="etag+lm",
        )
