"""The content sites of the demo world, rendered from the data files with jinja2 templates.

Every function here is pure in (day, request): the server may render a path for an earlier
day to find out since when a page has been unchanged (that is how Last-Modified stays
truthful without storing anything). Mutable behaviour (flaky counters, slow pages) lives in
``hostile.py``; the generated benchmark site lives in ``bench.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from rightswatch.demo.web import Request, Response, html, not_found, redirect
from rightswatch.demo.world import (
    FILES_DIR,
    KYIV,
    Article,
    Site,
    crawl_time,
    load_site,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "uk": [
        "січня",
        "лютого",
        "березня",
        "квітня",
        "травня",
        "червня",
        "липня",
        "серпня",
        "вересня",
        "жовтня",
        "листопада",
        "грудня",
    ],
    "ru": [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ],
}
MONTH_NAMES = {
    "en": MONTHS["en"],
    "uk": [
        "Січень",
        "Лютий",
        "Березень",
        "Квітень",
        "Травень",
        "Червень",
        "Липень",
        "Серпень",
        "Вересень",
        "Жовтень",
        "Листопад",
        "Грудень",
    ],
    "ru": [
        "Январь",
        "Февраль",
        "Март",
        "Апрель",
        "Май",
        "Июнь",
        "Июль",
        "Август",
        "Сентябрь",
        "Октябрь",
        "Ноябрь",
        "Декабрь",
    ],
}

WP_LABELS = {
    "en": dict(
        skip="Skip to content",
        menu="Primary menu",
        search="Search",
        popular="Popular posts",
        archives="Archives",
        contact="Contact us",
        home="Home",
        by="by",
        views="Views",
        category="Category",
        share="Share",
        related="Related posts",
        comments="Comments",
        reply="Leave a reply",
        more="Read more",
        nothing="Nothing found",
        posts="Posts navigation",
        prev="Previous",
        next="Next",
        news="News",
        rights="All rights reserved.",
        download="Download the report (PDF)",
        contact_text="Send information about violations through our secure form or "
        "Signal. We protect our sources.",
        og_locale="en_US",
    ),
    "uk": dict(
        skip="Перейти до вмісту",
        menu="Головне меню",
        search="Пошук",
        popular="Популярні записи",
        archives="Архіви",
        contact="Зв'язатися з нами",
        home="Головна",
        by="автор",
        views="Перегляди",
        category="Рубрика",
        share="Поділитися",
        related="Схожі матеріали",
        comments="Коментарі",
        reply="Залишити коментар",
        more="Читати далі",
        nothing="Нічого не знайдено",
        posts="Навігація записів",
        prev="Попередня",
        next="Наступна",
        news="Новини",
        rights="Усі права захищені.",
        download="Завантажити звіт (PDF)",
        contact_text="Надсилайте інформацію про порушення через захищену форму або "
        "Signal. Ми захищаємо наші джерела.",
        og_locale="uk_UA",
    ),
    "ru": dict(
        skip="Перейти к содержимому",
        menu="Главное меню",
        search="Поиск",
        popular="Популярные записи",
        archives="Архивы",
        contact="Связаться с нами",
        home="Главная",
        by="автор",
        views="Просмотры",
        category="Рубрика",
        share="Поделиться",
        related="Похожие материалы",
        comments="Комментарии",
        reply="Оставить комментарий",
        more="Читать далее",
        nothing="Ничего не найдено",
        posts="Навигация по записям",
        prev="Назад",
        next="Далее",
        news="Новости",
        rights="Все права защищены.",
        download="Скачать отчет (PDF)",
        contact_text="Присылайте информацию о нарушениях через защищенную форму или "
        "Signal. Мы защищаем наши источники.",
        og_locale="ru_RU",
    ),
}
LANG_LABELS = {"en": "En", "uk": "Ua", "ru": "Ru"}


@cache
def environment() -> Environment:
    """The jinja2 environment for all demo templates (autoescaping HTML and XML)."""
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml"]),
        keep_trailing_newline=True,
    )


def render(template: str, **context: Any) -> str:
    """Render one template."""
    return environment().get_template(template).render(**context)


# ------------------------------------------------------------------ formatting helpers


def iso(dt: datetime) -> str:
    """ISO 8601 in the sites' local time, as WordPress prints it."""
    return dt.astimezone(KYIV).isoformat(timespec="seconds")


def human_date(dt: datetime, lang: str) -> str:
    """A date as a reader sees it in ``lang``."""
    local = dt.astimezone(KYIV)
    if lang == "en":
        return f"{MONTHS['en'][local.month - 1]} {local.day}, {local.year}"
    return f"{local.day} {MONTHS[lang][local.month - 1]} {local.year}"


def dotted_date(dt: datetime) -> str:
    """DD.MM.YYYY, the custom CMS and government style."""
    return dt.astimezone(KYIV).strftime("%d.%m.%Y")


def rfc822(dt: datetime) -> str:
    """RSS pubDate format."""
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def w3c(dt: datetime) -> str:
    """Sitemap lastmod format."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def excerpt(text: str, limit: int = 220) -> str:
    """The first words of a paragraph, cut at a word boundary like WordPress excerpts."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " […]"


def stable_int(*parts: object, mod: int = 10_000) -> int:
    """A deterministic pseudo-random number, so view counters and comments never flicker."""
    digest = hashlib.sha1("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") % mod


def paginate(items: list[Any], page: int, per_page: int) -> tuple[list[Any], int]:
    """The slice for ``page`` (1-based) and the number of pages (at least 1)."""
    pages = max(1, -(-len(items) // per_page))
    return items[(page - 1) * per_page : page * per_page], pages


class SiteBase:
    """Shared plumbing: the base URL, the site data and its dispatch table of routes."""

    site_id: str = ""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.site: Site = load_site(self.site_id)
        self.routes: list[tuple[re.Pattern[str], Callable[..., Response]]] = []

    def route(self, pattern: str, handler: Callable[..., Response]) -> None:
        """Register a handler for paths fully matching ``pattern`` (named groups → kwargs)."""
        self.routes.append((re.compile(pattern), handler))

    def handle(self, day: int, req: Request) -> Response:
        """Dispatch a request; unknown paths are 404."""
        for pattern, handler in self.routes:
            m = pattern.fullmatch(req.path)
            if m:
                return handler(day, req, **m.groupdict())
        return not_found()

    def url(self, path: str) -> str:
        """Absolute URL of a path on the demo host."""
        return self.base + path

    def find(self, day: int, path: str) -> Article | Response:
        """The article served at ``path`` on ``day``, or the 301/410/404 that replaces it."""
        for a in self.site.articles:
            if a.visible(day) and a.path_on(day) == path:
                return a
        for a in self.site.articles:
            if day < a.day:
                continue
            if a.original_path == path and a.visible(day) and a.path_on(day) != path:
                return redirect(self.url(a.path_on(day)), 301)
            if a.removed_day is not None and day >= a.removed_day and a.path_on(day) == path:
                gone = "Gone" if a.removed_status == 410 else "Not Found"
                return html(
                    f"<!DOCTYPE html><html><head><title>{gone}</title></head>"
                    f"<body><h1>{gone}</h1><p>The page you requested is no "
                    "longer available.</p></body></html>",
                    status=a.removed_status,
                )
        return not_found()

    def older_stable(self, day: int, a: Article) -> list[Article]:
        """Older articles in ``a``'s language that never move or vanish, newest first.

        Pages link to these only, so an article's bytes change only when it is edited.
        """
        return [
            o
            for o in self.site.visible(day, a.lang)
            if o.published < a.published and o.removed_day is None and o.moved_day is None
        ]


# ------------------------------------------------------------------ WordPress-like sites


class WordPressSite(SiteBase):
    """Chrome shared by the WordPress-like sites (CHRG, ZMINA, Verstka)."""

    accent = "#0b5394"
    meta_charset = ""

    def lang_root(self, lang: str) -> str:
        return f"/{self.site_id}/{lang}/"

    def listing_path(self, lang: str) -> str:
        return f"/{self.site_id}/{lang}/category/news/"

    def menu(self, lang: str) -> list[dict[str, str]]:
        labels = WP_LABELS[lang]
        return [
            {"label": labels["home"], "url": self.url(self.lang_root(lang))},
            {"label": labels["news"], "url": self.url(self.listing_path(lang))},
        ]

    def site_context(
        self, lang: str, alternates: list[dict[str, str]] | None = None, feed: str = ""
    ) -> dict[str, Any]:
        names = self.site.settings.get("names", {})
        taglines = self.site.settings.get("taglines", {})
        langs = [
            {
                "code": code,
                "label": LANG_LABELS[code],
                "url": self.url(self.lang_root(code)),
                "current": code == lang,
            }
            for code in self.site.settings["paths"]
        ]
        return {
            "id": self.site_id,
            "name": names.get(lang, self.site.name),
            "tagline": taglines.get(lang, ""),
            "home": self.url(self.lang_root(lang)),
            "menu": self.menu(lang),
            "langs": langs if len(langs) > 1 else [],
            "alternates": alternates or [],
            "feed_url": feed,
            "labels": WP_LABELS[lang],
            "contact_text": WP_LABELS[lang]["contact_text"],
            "accent": self.accent,
            "meta_charset": self.meta_charset,
        }

    def page_context(
        self,
        title: str,
        lang: str,
        canonical: str,
        description: str = "",
        article: Article | None = None,
        day: int = 1,
        body_class: str = "archive",
    ) -> dict[str, Any]:
        ctx: dict[str, Any] = {
            "title": title,
            "html_lang": {"uk": "uk", "ru": "ru-RU", "en": "en-US"}[lang],
            "canonical": canonical,
            "description": description or title,
            "og_locale": WP_LABELS[lang]["og_locale"],
            "og_type": "website",
            "body_class": body_class,
            "published_iso": "",
            "modified_iso": "",
            "shortlink": "",
            "jsonld": "",
        }
        if article is not None:
            version = article.version(day)
            ctx.update(
                og_type="article",
                published_iso=iso(article.published),
                modified_iso=iso(version.modified),
                body_class="post-template-default single",
                jsonld=json.dumps(
                    {
                        "@context": "https://schema.org",
                        "@type": "NewsArticle",
                        "headline": version.title,
                        "datePublished": iso(article.published),
                        "dateModified": iso(version.modified),
                        "inLanguage": lang,
                        "author": {"@type": "Person", "name": article.get("author", "")},
                        "publisher": {"@type": "Organization", "name": self.site.name},
                    },
                    ensure_ascii=False,
                ),
            )
        return ctx

    def sidebar(self, day: int, lang: str) -> dict[str, Any]:
        popular = []
        for key in self.site.settings.get("popular", []):
            a = self.site.by_key(key)
            if a.lang == lang and a.visible(day):
                popular.append(
                    {
                        "title": a.title,
                        "url": self.url(a.path_on(day)),
                        "views": stable_int(key, mod=20_000) + 1_000,
                    }
                )
        months = sorted(
            {
                (a.published.astimezone(KYIV).year, a.published.astimezone(KYIV).month)
                for a in self.site.articles
                if a.lang == lang
            },
            reverse=True,
        )
        archives = [
            {
                "label": f"{MONTH_NAMES[lang][m - 1]} {y}",
                "url": self.url(f"{self.lang_root(lang)}{y}/{m:02d}/"),
            }
            for y, m in months
        ]
        return {"popular": popular, "archives": archives}

    def post_id(self, a: Article) -> int:
        """The WordPress post id of an article (its ``?p=`` shortlink number)."""
        return self.site.settings.get("first_post_id", 1000) + self.site.articles.index(a) * 7

    def serve_article(self, day: int, path: str) -> Response:
        """The article page at ``path`` (or the redirect, 410 or 404 in its place)."""
        a = self.find(day, path)
        if isinstance(a, Response):
            return a
        return self.respond(self.render_article(day, a), modified=a.version(day).modified)

    def item(self, day: int, a: Article) -> dict[str, Any]:
        version = a.version(day)
        return {
            "title": version.title,
            "url": self.url(a.path_on(day)),
            "published_iso": iso(a.published),
            "published_human": human_date(a.published, a.lang),
            "excerpt": excerpt(version.paragraphs[0]),
        }

    def comments(self, a: Article) -> list[dict[str, Any]]:
        bank = self.site.settings.get("comment_bank", {}).get(a.lang, [])
        if not bank:
            return []
        count = stable_int(a.key, "comments", mod=4)
        out = []
        for i in range(count):
            when = a.published + timedelta(hours=3 * (i + 1), minutes=17 * i)
            when = min(when, crawl_time(a.day) - timedelta(minutes=5 * (count - i)))
            out.append(
                {
                    "id": 10_000 + stable_int(a.key, i, mod=90_000),
                    "author": ["Olena", "Rustem", "Андрій", "Lilia", "Сергей", "Emine"][
                        stable_int(a.key, i, "author", mod=6)
                    ],
                    "text": bank[stable_int(a.key, i, "text", mod=len(bank))],
                    "iso": iso(when),
                    "human": human_date(when, a.lang),
                }
            )
        return out

    def related(self, day: int, a: Article) -> list[dict[str, Any]]:
        """Three older posts of the same language (stable ones: see ``older_stable``)."""
        return [self.item(day, o) for o in self.older_stable(day, a)[:3]]

    def render_article(self, day: int, a: Article, extra: dict[str, Any] | None = None) -> str:
        version = a.version(day)
        labels = WP_LABELS[a.lang]
        url = self.url(a.path_on(day))
        post_id = self.post_id(a)
        page = self.page_context(
            version.title, a.lang, url, excerpt(version.paragraphs[0], 160), article=a, day=day
        )
        page["shortlink"] = self.url(f"/{self.site_id}/?p={post_id}")
        article = {
            "title": version.title,
            "url": url,
            "post_id": post_id,
            "category": a.get("category", "news"),
            "category_label": labels["news"],
            "category_url": self.url(self.listing_path(a.lang)),
            "published_iso": iso(a.published),
            "published_human": human_date(a.published, a.lang),
            "modified_iso": iso(version.modified),
            "modified_human": human_date(version.modified, a.lang),
            "edited": version.edited,
            "author": a.get("author", ""),
            "views": f"{stable_int(a.key, mod=8_000) + 150:,}".replace(",", "\u00a0"),
            "paragraphs": version.paragraphs,
            "pdf_url": "",
        }
        article.update(extra or {})
        return render(
            "wp_article.html",
            site=self.site_context(a.lang),
            page=page,
            sidebar=self.sidebar(day, a.lang),
            article=article,
            related=self.related(day, a),
            comments=self.comments(a),
        )

    def render_listing(
        self, day: int, lang: str, articles: list[Article], title: str, first_page: str, page: int
    ) -> Response:
        per_page = int(self.site.settings.get("per_page", 10))
        chunk, pages = paginate(articles, page, per_page)
        if page > pages:
            return not_found()

        def page_url(n: int) -> str:
            return self.url(first_page if n == 1 else f"{first_page}page/{n}/")

        listing = {
            "title": title,
            "items": [self.item(day, a) for a in chunk],
            "page": page,
            "pages": pages,
            "page_url": page_url,
            "prev_url": page_url(page - 1) if page > 1 else "",
            "next_url": page_url(page + 1) if page < pages else "",
        }
        ctx = self.page_context(title, lang, page_url(page))
        body = render(
            "wp_listing.html",
            site=self.site_context(lang),
            page=ctx,
            sidebar=self.sidebar(day, lang),
            listing=listing,
        )
        return self.respond(
            body, modified=max((a.version(day).modified for a in chunk), default=None)
        )

    def respond(self, body: str, status: int = 200, modified: datetime | None = None) -> Response:
        return html(body, status=status, modified=modified, validators="etag+lm")


class ChrgSite(WordPressSite):
    """Crimean Human Rights Group: en/uk/ru, RSS per language, ETag and Last-Modified."""

    site_id = "chrg"
    accent = "#8a1c1c"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        lang = r"(?P<lang>en|uk|ru)"
        self.route(r"/chrg/?", self.root)
        self.route(r"/chrg/feed/", lambda day, req: self.feed(day, req, "uk"))
        self.route(rf"/chrg/{lang}/feed/", self.feed)
        self.route(rf"/chrg/{lang}/(?:page/(?P<page>\d+)/)?", self.front)
        self.route(rf"/chrg/{lang}/category/news/(?:page/(?P<page>\d+)/)?", self.category)
        self.route(rf"/chrg/{lang}/(?P<year>\d{{4}})/(?P<month>\d{{2}})/", self.archive)
        self.route(rf"/chrg/{lang}/(?P<page_slug>about-us|contacts)/", self.static)
        self.route(rf"/chrg/{lang}/(?P<slug>[a-z0-9-]+)/", self.article)
        self.route(rf"/chrg/{lang}/(?P<slug>[a-z0-9-]+)", self.add_slash)

    def root(self, day: int, req: Request) -> Response:
        post = req.arg("p")
        if post.isdigit():
            for a in self.site.articles:
                if self.post_id(a) == int(post) and a.visible(day):
                    return redirect(self.url(a.path_on(day)), 301)
            return not_found()
        return redirect(self.url("/chrg/uk/"), 302)

    def add_slash(self, day: int, req: Request, lang: str, slug: str) -> Response:
        return redirect(self.url(req.path + "/"), 301)

    def front(self, day: int, req: Request, lang: str, page: str | None = None) -> Response:
        return self.render_listing(
            day,
            lang,
            self.site.visible(day, lang),
            self.site.settings["names"][lang],
            f"/chrg/{lang}/",
            int(page or 1),
        )

    def category(self, day: int, req: Request, lang: str, page: str | None = None) -> Response:
        return self.render_listing(
            day,
            lang,
            self.site.visible(day, lang),
            WP_LABELS[lang]["news"],
            self.listing_path(lang),
            int(page or 1),
        )

    def archive(self, day: int, req: Request, lang: str, year: str, month: str) -> Response:
        items = [
            a
            for a in self.site.visible(day, lang)
            if a.published.astimezone(KYIV).strftime("%Y%m") == year + month
        ]
        title = f"{MONTH_NAMES[lang][int(month) - 1]} {year}" if 1 <= int(month) <= 12 else year
        return self.render_listing(day, lang, items, title, f"/chrg/{lang}/{year}/{month}/", 1)

    def static(self, day: int, req: Request, lang: str, page_slug: str) -> Response:
        texts = {
            "about-us": {
                "en": "The Crimean Human Rights Group is an initiative of Crimean human rights "
                "defenders and journalists documenting violations in Crimea.",
                "uk": "Кримська правозахисна група - ініціатива кримських правозахисників і "
                "журналістів, яка документує порушення прав людини в Криму.",
                "ru": "Крымская правозащитная группа - инициатива крымских правозащитников и "
                "журналистов, документирующая нарушения прав человека в Крыму.",
            },
            "contacts": {
                "en": "Write to us through the secure form or Signal.",
                "uk": "Пишіть нам через захищену форму або Signal.",
                "ru": "Пишите нам через защищенную форму или Signal.",
            },
        }
        title = {
            "about-us": {"en": "About us", "uk": "Про нас", "ru": "О нас"},
            "contacts": {"en": "Contacts", "uk": "Контакти", "ru": "Контакты"},
        }
        static = {"title": title[page_slug][lang], "text": texts[page_slug][lang]}
        canonical = self.url(req.path)
        body = render(
            "wp_page.html",
            site=self.site_context(lang),
            page=self.page_context(static["title"], lang, canonical, body_class="page"),
            sidebar=self.sidebar(day, lang),
            static=static,
        )
        return self.respond(body)

    def article(self, day: int, req: Request, lang: str, slug: str) -> Response:
        return self.serve_article(day, req.path)

    def feed(self, day: int, req: Request, lang: str) -> Response:
        items = self.site.visible(day, lang)[: int(self.site.settings.get("feed_items", 10))]
        entries = []
        for a in items:
            version = a.version(day)
            entries.append(
                {
                    "title": version.title,
                    "url": self.url(a.path_on(day)),
                    "author": a.get("author", ""),
                    "pub_date": rfc822(a.published),
                    "category": WP_LABELS[lang]["news"],
                    "guid": self.url(f"/chrg/?p={self.post_id(a)}"),
                    "excerpt": excerpt(version.paragraphs[0]),
                    "content_html": "".join(f"<p>{p}</p>" for p in version.paragraphs),
                    "comment_count": len(self.comments(a)),
                }
            )
        modified = max((a.version(day).modified for a in items), default=crawl_time(day))
        feed = {
            "title": self.site.settings["names"][lang],
            "self_url": self.url(req.path),
            "link": self.url(f"/chrg/{lang}/"),
            "description": self.site.settings["taglines"][lang],
            "last_build": rfc822(modified),
            "language": {"en": "en-US", "uk": "uk", "ru": "ru-RU"}[lang],
            "items": entries,
        }
        body = render("rss.xml", feed=feed).encode("utf-8")
        return Response(
            body=body,
            content_type="application/rss+xml; charset=UTF-8",
            modified=modified,
            validators="etag+lm",
        )


class ZminaSite(WordPressSite):
    """ZMINA: uk at the root, en under /en/; found through robots.txt and sitemaps."""

    site_id = "zmina"
    accent = "#e4312b"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.route(r"/zmina/robots\.txt", self.robots)
        self.route(r"/zmina/sitemap\.xml", self.sitemap_index)
        self.route(r"/zmina/sitemap-pages\.xml", self.sitemap_pages)
        self.route(
            r"/zmina/sitemap-posts-(?P<year>\d{4})-(?P<month>\d{2})\.xml", self.sitemap_posts
        )
        self.route(
            r"/zmina/(?:page/(?P<page>\d+)/)?", lambda d, r, page=None: self.listing(d, "uk", page)
        )
        self.route(
            r"/zmina/en/(?:page/(?P<page>\d+)/)?",
            lambda d, r, page=None: self.listing(d, "en", page),
        )
        self.route(
            r"/zmina/news/(?:page/(?P<page>\d+)/)?",
            lambda d, r, page=None: self.listing(d, "uk", page, True),
        )
        self.route(
            r"/zmina/en/news-en/(?:page/(?P<page>\d+)/)?",
            lambda d, r, page=None: self.listing(d, "en", page, True),
        )
        self.route(r"/zmina/(?:en/)?[a-z-]+/", self.static_or_article)
        self.route(r"/zmina/(?:en/news-en|news)/[a-z0-9-]+/", self.static_or_article)

    def lang_root(self, lang: str) -> str:
        return "/zmina/" if lang == "uk" else "/zmina/en/"

    def listing_path(self, lang: str) -> str:
        return "/zmina/news/" if lang == "uk" else "/zmina/en/news-en/"

    def respond(self, body: str, status: int = 200, modified: datetime | None = None) -> Response:
        return html(body, status=status, modified=modified, validators="lm")

    def robots(self, day: int, req: Request) -> Response:
        text = (
            "User-agent: *\nDisallow: /zmina/wp-admin/\nAllow: /zmina/wp-admin/admin-ajax.php\n\n"
            f"Sitemap: {self.url('/zmina/sitemap.xml')}\n"
        )
        return Response(body=text.encode(), content_type="text/plain; charset=utf-8")

    def listing(self, day: int, lang: str, page: str | None, section: bool = False) -> Response:
        first = self.listing_path(lang) if section else self.lang_root(lang)
        title = WP_LABELS[lang]["news"] if section else self.site.settings["names"][lang]
        return self.render_listing(
            day, lang, self.site.visible(day, lang), title, first, int(page or 1)
        )

    def _months(self, day: int) -> dict[str, list[Article]]:
        months: dict[str, list[Article]] = {}
        for a in self.site.visible(day):
            months.setdefault(a.published.astimezone(KYIV).strftime("%Y-%m"), []).append(a)
        return months

    def sitemap_index(self, day: int, req: Request) -> Response:
        statics = self.site.settings.get("static", [])
        entries = [
            {
                "loc": self.url("/zmina/sitemap-pages.xml"),
                "lastmod": w3c(max(s["modified"] for s in statics)),
            }
        ]
        for month, arts in sorted(self._months(day).items(), reverse=True):
            entries.append(
                {
                    "loc": self.url(f"/zmina/sitemap-posts-{month}.xml"),
                    "lastmod": w3c(max(a.version(day).modified for a in arts)),
                }
            )
        return self.xml(
            render("sitemap_index.xml", sitemaps=entries),
            max(a.version(day).modified for a in self.site.visible(day)),
        )

    def sitemap_pages(self, day: int, req: Request) -> Response:
        urls = [
            {"loc": self.url(s["path"]), "lastmod": w3c(s["modified"])}
            for s in self.site.settings.get("static", [])
        ]
        return self.xml(render("sitemap_urlset.xml", urls=urls))

    def sitemap_posts(self, day: int, req: Request, year: str, month: str) -> Response:
        arts = self._months(day).get(f"{year}-{month}")
        if not arts:
            return not_found()
        urls = [
            {"loc": self.url(a.path_on(day)), "lastmod": w3c(a.version(day).modified)} for a in arts
        ]
        return self.xml(
            render("sitemap_urlset.xml", urls=urls), max(a.version(day).modified for a in arts)
        )

    def xml(self, text: str, modified: datetime | None = None) -> Response:
        return Response(
            body=text.encode("utf-8"),
            content_type="application/xml; charset=UTF-8",
            modified=modified,
            validators="lm",
        )

    def static_or_article(self, day: int, req: Request) -> Response:
        for s in self.site.settings.get("static", []):
            if s["path"] == req.path:
                body = render(
                    "wp_page.html",
                    site=self.site_context(s["lang"]),
                    page=self.page_context(
                        s["title"], s["lang"], self.url(s["path"]), body_class="page"
                    ),
                    sidebar=self.sidebar(day, s["lang"]),
                    static=s,
                )
                return self.respond(body, modified=s["modified"])
        return self.serve_article(day, req.path)


class VerstkaSite(WordPressSite):
    """Verstka: Russian only, windows-1251, the charset declared only in a meta tag."""

    site_id = "verstka"
    accent = "#222222"
    meta_charset = "windows-1251"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.route(r"/verstka/(?:page/(?P<page>\d+)/)?", self.listing)
        self.route(r"/verstka/(?P<slug>[a-z0-9-]+)/", self.article)

    def lang_root(self, lang: str) -> str:
        return "/verstka/"

    def listing_path(self, lang: str) -> str:
        return "/verstka/"

    def menu(self, lang: str) -> list[dict[str, str]]:
        return [
            {"label": "Главная", "url": self.url("/verstka/")},
            {"label": "Расследования", "url": self.url("/verstka/")},
            {"label": "Новости", "url": self.url("/verstka/")},
        ]

    def sidebar(self, day: int, lang: str) -> dict[str, Any]:
        return {"popular": [], "archives": []}

    def respond(self, body: str, status: int = 200, modified: datetime | None = None) -> Response:
        data = body.encode("cp1251", errors="xmlcharrefreplace")
        return Response(
            status=status, body=data, content_type="text/html", modified=modified, validators="lm"
        )

    def listing(self, day: int, req: Request, page: str | None = None) -> Response:
        return self.render_listing(
            day, "ru", self.site.visible(day), "Вёрстка", "/verstka/", int(page or 1)
        )

    def article(self, day: int, req: Request, slug: str) -> Response:
        return self.serve_article(day, req.path)


# ------------------------------------------------------------------ custom CMS (CTRC)

CTRC_LABELS = {
    "en": dict(
        about="About us",
        activities="Activities",
        monitoring="Monitoring",
        contacts="Contacts",
        footer="All materials may be used with a link to the source.",
        more="More",
        home="Home",
        share="Share",
        other="Other activities",
    ),
    "ru": dict(
        about="О нас",
        activities="Деятельность",
        monitoring="Мониторинг",
        contacts="Контакты",
        footer="Материалы можно использовать со ссылкой на источник.",
        more="Подробнее",
        home="Главная",
        share="Поделиться",
        other="Другие материалы",
    ),
}


class CtrcSite(SiteBase):
    """CTRC: ?page=N listings, no feed, no validators; new listing markup from day 3."""

    site_id = "ctrc"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.route(r"/ctrc/?", lambda d, r: redirect(self.url("/ctrc/en/"), 302))
        self.route(r"/ctrc/(?P<lang>en|ru)/?", self.listing)
        self.route(r"/ctrc/(?P<lang>en|ru)/activities/?", self.listing)
        self.route(
            r"/ctrc/(?P<lang>en|ru)/activities/(?P<num>\d+)-(?P<slug>[a-z0-9-]+)/?", self.article
        )
        self.route(r"/ctrc/(?P<lang>en|ru)/(?P<name>about|monitoring|contacts)", self.static)

    def context(self, lang: str, title: str) -> dict[str, Any]:
        return {
            "lang": lang,
            "title": title,
            "labels": CTRC_LABELS[lang],
            "site_name": self.site.settings["names"][lang],
        }

    def listing(self, day: int, req: Request, lang: str) -> Response:
        page_arg = req.arg("page", "1")
        page = int(page_arg) if page_arg.isdigit() and int(page_arg) > 0 else 1
        chunk, pages = paginate(
            self.site.visible(day, lang), page, int(self.site.settings["per_page"])
        )
        items = [
            {
                "num": a.get("num"),
                "url": self.url(a.path_on(day)),
                "title": a.title,
                "date": dotted_date(a.published),
                "excerpt": excerpt(a.paragraphs[0], 180),
            }
            for a in chunk
        ]
        new_layout = day >= int(self.site.settings.get("layout_change_day", 99))
        template = "ctrc_listing_v2.html" if new_layout else "ctrc_listing_v1.html"
        # Out-of-range pages answer 200 with an empty list, as many custom CMSs do.
        body = render(
            template,
            items=items,
            page=page,
            pages=pages,
            **self.context(lang, CTRC_LABELS[lang]["activities"]),
        )
        return html(body)

    def article(self, day: int, req: Request, lang: str, num: str, slug: str) -> Response:
        a = self.find(day, req.path.rstrip("/"))
        if isinstance(a, Response):
            return a
        others = [
            {"url": self.url(o.path_on(day)), "title": o.title}
            for o in self.older_stable(day, a)[:3]
        ]
        body = render(
            "ctrc_article.html",
            paragraphs=a.version(day).paragraphs,
            published_iso=iso(a.published),
            date=dotted_date(a.published),
            url=self.url(a.path_on(day)),
            others=others,
            **self.context(lang, a.version(day).title),
        )
        return html(body)

    def static(self, day: int, req: Request, lang: str, name: str) -> Response:
        title = CTRC_LABELS[lang][name]
        body = render(
            "ctrc_article.html",
            paragraphs=[self.site.settings["names"][lang]],
            published_iso="2015-05-01",
            date="01.05.2015",
            url=self.url(req.path),
            others=[],
            **self.context(lang, title),
        )
        return html(body)


# ------------------------------------------------------------------ official body (PPU)

PPU_LABELS = {
    "en": dict(
        home="Home",
        news="News",
        about="About the Mission",
        about_slug="about",
        download="Download the report",
        footer="Mission of the President of Ukraine in "
        "the Autonomous Republic of Crimea. Kyiv, Ukraine.",
    ),
    "uk": dict(
        home="Головна",
        news="Новини",
        about="Про Представництво",
        about_slug="pro-nas",
        download="Завантажити звіт",
        footer="Представництво Президента України в Автономній Республіці Крим. Київ, Україна.",
    ),
}


class PpuSite(SiteBase):
    """PPU: short announcements linking to committed PDF reports."""

    site_id = "ppu"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.route(
            r"/ppu/(?:news/)?(?:page/(?P<page>\d+)/)?",
            lambda d, r, page=None: self.listing(d, "uk", page),
        )
        self.route(
            r"/ppu/en/(?:news/)?(?:page/(?P<page>\d+)/)?",
            lambda d, r, page=None: self.listing(d, "en", page),
        )
        self.route(r"/ppu/(?:en/)?press-center/[a-z0-9-]+/", self.article)
        self.route(r"/ppu/files/(?P<name>[a-z0-9-]+\.pdf)", self.pdf)
        self.route(r"/ppu/(?P<name>pro-nas|en/about)/", self.static)

    def home(self, lang: str) -> str:
        return self.url("/ppu/" if lang == "uk" else "/ppu/en/")

    def context(self, lang: str, title: str) -> dict[str, Any]:
        return {
            "lang": lang,
            "title": title,
            "labels": PPU_LABELS[lang],
            "site_name": self.site.settings["names"][lang],
            "home": self.home(lang),
            "news_url": self.home(lang) + "news/",
            "bom": False,
            "published_iso": "",
        }

    def listing(self, day: int, lang: str, page: str | None) -> Response:
        chunk, pages = paginate(
            self.site.visible(day, lang), int(page or 1), int(self.site.settings["per_page"])
        )
        if int(page or 1) > pages:
            return not_found()
        items = [
            {"url": self.url(a.path_on(day)), "title": a.title, "date": dotted_date(a.published)}
            for a in chunk
        ]

        def page_url(n: int) -> str:
            return self.home(lang) + "news/" + ("" if n == 1 else f"page/{n}/")

        body = render(
            "ppu_listing.html",
            items=items,
            page=int(page or 1),
            pages=pages,
            page_url=page_url,
            **self.context(lang, PPU_LABELS[lang]["news"]),
        )
        return html(
            body, modified=max((a.published for a in chunk), default=None), validators="etag+lm"
        )

    def article(self, day: int, req: Request) -> Response:
        a = self.find(day, req.path)
        if isinstance(a, Response):
            return a
        ctx = self.context(a.lang, a.title)
        pdf = a.get("pdf")
        if pdf:
            ctx.update(
                pdf_url=self.url(f"/ppu/files/{pdf}"),
                pdf_name=pdf,
                pdf_kb=max(1, (FILES_DIR / pdf).stat().st_size // 1024),
            )
        ctx.update(bom=bool(a.get("bom")), published_iso=iso(a.published))
        text = render(
            "ppu_article.html",
            paragraphs=a.version(day).paragraphs,
            date=dotted_date(a.published),
            **ctx,
        )
        if a.get("bom"):
            # The encoding corner: a UTF-8 BOM is the only charset signal of this page.
            return Response(
                body=b"\xef\xbb\xbf" + text.encode("utf-8"),
                content_type="text/html",
                modified=a.published,
                validators="etag+lm",
            )
        return html(text, modified=a.published, validators="etag+lm")

    def pdf(self, day: int, req: Request, name: str) -> Response:
        for report in self.site.reports:
            if report.file == name and report.day <= day:
                return Response(
                    body=(FILES_DIR / name).read_bytes(),
                    content_type="application/pdf",
                    modified=report.published,
                    validators="etag+lm",
                )
        return not_found()

    def static(self, day: int, req: Request, name: str) -> Response:
        lang = "en" if name.startswith("en/") else "uk"
        body = render(
            "ppu_article.html",
            paragraphs=[PPU_LABELS[lang]["footer"]],
            date="",
            **self.context(lang, PPU_LABELS[lang]["about"]),
        )
        return html(body)


SITE_CLASSES: dict[str, type[SiteBase]] = {
    "chrg": ChrgSite,
    "ctrc": CtrcSite,
    "zmina": ZminaSite,
    "ppu": PpuSite,
    "verstka": VerstkaSite,
}
