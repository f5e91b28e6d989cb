"""`rightswatch run`: crawls, alert dispatch and the weekly digest on their schedules.

Built on APScheduler 3 (a background scheduler, its jobs in thread pools):

* **One job per source**, on its interval or cron line with jitter.  Each run is a child
  process (`rightswatch.crawler.run_crawl`: Scrapy's reactor cannot restart) with a time
  limit.  `max_instances=1` keeps two runs of one source from overlapping inside the
  scheduler, and the crawler's per-source lock keeps them from overlapping with a manual
  `rightswatch crawl` too.  Crawls share a pool of `max_parallel_crawls` threads.
* **The dispatcher** every `dispatch_interval` (a minute), and at once after every crawl,
  so an alert leaves within seconds of the crawl that found its news.
* **The digest** on a cron (Monday 08:00 in the `[digest]` time zone by default).

Nothing is kept in APScheduler's own job store: on start the plan is recomputed from the
crawl records.  A source crawled an hour ago with a six-hour interval runs in five hours; the
sources overdue after a long stop run one by one, `startup_stagger` apart, so a restart
never sends every crawl out at once.  A digest whose time passed while the scheduler was
down is made on start (digests are keyed by their period, so never twice).

SIGTERM or SIGINT stops it: no new job starts, running crawls get SIGTERM (Scrapy closes the
spider; every page is its own transaction, so nothing is half-written) and SIGKILL after
`stop_grace`, and the process exits 0.  Logs are one line per thing that happened,
`logfmt` by default or JSON (`--log-format json`), e.g.::

    2026-11-22T08:00:03Z info crawl.finished source=chrg status=ok seconds=41.2 new=2 ...
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .alerts.dispatch import process_alive
from .config import Config, Schedule, Source
from .crawler import lock_path, lock_sources, run_crawl
from .db import Store, open_db
from .db import schedule as state
from .db.outbox import parse_ts
from .db.store import iso

log = logging.getLogger("rightswatch.scheduler")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


# -- planning (pure) ------------------------------------------------------------------------


def trigger_for(schedule: Schedule, timezone: str, start: datetime | None = None) -> BaseTrigger:
    """The APScheduler trigger of a schedule (an interval trigger starts at *start*)."""
    tz = ZoneInfo(timezone)
    if schedule.cron:
        trigger: BaseTrigger = CronTrigger.from_crontab(schedule.cron, timezone=tz)
        trigger.jitter = int(schedule.jitter) or None
        return trigger
    return IntervalTrigger(seconds=schedule.interval or 0, start_date=start, timezone=tz,
                           jitter=int(schedule.jitter) or None)


def next_due(schedule: Schedule, timezone: str, last_started: datetime | None) -> datetime | None:
    """When a source crawled last at *last_started* is due again, ignoring jitter (None:
    never crawled, so due now)."""
    if last_started is None:
        return None
    if schedule.cron:
        trigger = CronTrigger.from_crontab(schedule.cron, timezone=ZoneInfo(timezone))
        nxt = trigger.get_next_fire_time(None, last_started + timedelta(seconds=1))
        return nxt.astimezone(UTC) if nxt else None
    return last_started + timedelta(seconds=schedule.interval or 0)


def plan_first_runs(sources: Sequence[Source], last_started: Mapping[str, datetime | None],
                    now: datetime, *, timezone: str = "UTC",
                    stagger: float = 60.0) -> dict[str, datetime]:
    """The first run of every source after a (re)start.

    Sources not yet due keep their time.  Overdue ones (and ones never crawled) run from
    *now* on, *stagger* seconds apart, the longest overdue first (never crawled counts as
    most overdue; ties by source id), so a restart spreads the backlog instead of firing it
    all at once.
    """
    plan: dict[str, datetime] = {}
    overdue: list[tuple[datetime, str]] = []
    for source in sources:
        due = next_due(source.schedule, timezone, last_started.get(source.id))
        if due is not None and due > now:
            plan[source.id] = due
        else:
            overdue.append((due or datetime.min.replace(tzinfo=UTC), source.id))
    for i, (_, sid) in enumerate(sorted(overdue)):
        plan[sid] = now + timedelta(seconds=i * stagger)
    return plan


def last_fire_before(trigger: CronTrigger, now: datetime, lookback: timedelta) -> datetime | None:
    """The latest time ≤ *now* (within *lookback*) at which a cron trigger fired."""
    fire = trigger.get_next_fire_time(None, now - lookback)
    last = None
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return last


def planned_next_crawls(config: Config, last_started: Mapping[str, str],
                        jobs: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The next crawl of every enabled source, as `rightswatch sources` shows it:
    `{"at": ISO time or None (= now), "scheduled": bool}`.  Scheduled: the plan of a running
    scheduler; otherwise when the source is due by its schedule, counted from *last_started*
    (`db.schedule.last_crawl_starts`)."""
    upcoming: dict[str, dict[str, Any]] = {}
    for source in config.sources:
        if not source.enabled or not source.start_urls:
            continue
        job = jobs.get(f"crawl:{source.id}") or {}
        if job.get("next_run_at") and job.get("scheduler_pid") \
                and process_alive(int(job["scheduler_pid"])):
            upcoming[source.id] = {"at": job["next_run_at"], "scheduled": True}
            continue
        started = last_started.get(source.id)
        due = next_due(source.schedule, config.scheduler.timezone,
                       parse_ts(started) if started else None)
        upcoming[source.id] = {"at": iso(due) if due else None, "scheduled": False}
    return upcoming


# -- structured logs ------------------------------------------------------------------------


class LogFormatter(logging.Formatter):
    """One line per record: a timestamp, the level, the event name and its fields, as logfmt
    (people, grep) or JSON (log shippers).  Fields come from `extra={"fields": {...}}`."""

    def __init__(self, style: str = "logfmt") -> None:
        super().__init__()
        if style not in ("logfmt", "json"):
            raise ValueError(f"unknown log format {style!r}")
        self.style = style

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds")
        at = at.replace("+00:00", "Z")
        fields: dict[str, Any] = dict(getattr(record, "fields", {}) or {})
        message = record.getMessage()
        if record.exc_info:
            fields["error"] = self.formatException(record.exc_info)
        if self.style == "json":
            return json.dumps({"ts": at, "level": record.levelname.lower(),
                               "logger": record.name, "event": message, **fields},
                              ensure_ascii=False, default=str)
        parts = [at, record.levelname.lower(), message]
        parts += [f"{k}={_logfmt(v)}" for k, v in fields.items() if v is not None]
        return " ".join(parts)


def _logfmt(value: Any) -> str:
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    if text == "" or any(c in text for c in ' "=\n\t'):
        return json.dumps(text, ensure_ascii=False)
    return text


def _say(level: int, event: str, **fields: Any) -> None:
    log.log(level, event, extra={"fields": fields})


def configure_logging(style: str = "logfmt", stream: Any = None) -> None:
    """Send rightswatch's records to stderr in *style*; APScheduler's only for errors (its
    other lines repeat what the job events of ours say with more detail)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LogFormatter(style))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


# -- the scheduler --------------------------------------------------------------------------


@dataclass
class JobResult:
    status: str
    message: str = ""


class Scheduler:
    """The jobs of one configuration.  `start()` plans and starts them in background
    threads; `stop()` stops them cleanly; `run_until(event)` does both around a wait."""

    def __init__(self, config: Config, *, clock: Clock = system_clock) -> None:
        self.config = config
        self.settings = config.scheduler
        self.clock = clock
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: set[str] = set()
        # Jobs inside their body: stop() waits for none to be left before it shuts APScheduler
        # down (whose shutdown holds locks that a finishing job would need).
        self._active = 0
        self._idle = threading.Condition()
        self._aps = BackgroundScheduler(
            executors={"crawls": ThreadPoolExecutor(self.settings.max_parallel_crawls),
                       "default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(self.settings.misfire_grace) or None},
            timezone=ZoneInfo(self.settings.timezone),
        )
        self._aps.add_listener(self._on_job_event,
                               EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        self._dispatcher: Any = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        now = self.clock()
        db = open_db(self.config.database)
        try:
            Store(db).sync_sources(self.config.sources)
            self._reap_stale_crawls(db)
            starts = {sid: parse_ts(at) for sid, at in state.last_crawl_starts(db).items() if at}
        finally:
            db.close()
        sources = [s for s in self.config.sources if s.enabled and s.start_urls]
        plan = plan_first_runs(sources, starts, now, timezone=self.settings.timezone,
                               stagger=self.settings.startup_stagger)
        for source in sources:
            self._add_crawl_job(source, plan[source.id])
        self._aps.add_job(self._job, IntervalTrigger(
            seconds=self.settings.dispatch_interval, timezone=ZoneInfo(self.settings.timezone)),
            args=[self._dispatch_job], id="dispatch", name="dispatch", next_run_time=now)
        catch_up = self._add_digest_job(now)
        _say(logging.INFO, "scheduler.started", pid=os.getpid(), sources=len(sources),
             database=str(self.config.database),
             first_crawl=iso(min(plan.values())) if plan else None,
             digest="missed, making it now" if catch_up else None)
        self._aps.start()
        self._save_plan()
        if catch_up:
            self._aps.modify_job("digest", next_run_time=self.clock())

    def stop(self) -> None:
        """Start nothing new; ask running crawls to finish; wait for every running job."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        _say(logging.INFO, "scheduler.stopping", running=",".join(sorted(self._running)) or None)
        with contextlib.suppress(SchedulerNotRunningError):
            self._aps.pause()
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0)
        self._aps.shutdown(wait=True)
        db = open_db(self.config.database)
        try:
            state.scheduler_stopped(db, os.getpid())
        finally:
            db.close()
        _say(logging.INFO, "scheduler.stopped")

    def run_until(self, stop: threading.Event) -> None:
        self.start()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            self.stop()

    # -- jobs ------------------------------------------------------------------------------

    def _job(self, body: Callable[..., None], *args: Any) -> None:
        """Every job runs through here: none starts once stopping, and stop() can wait for
        those inside."""
        with self._idle:
            if self.stopping.is_set():
                return
            self._active += 1
        try:
            body(*args)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _add_crawl_job(self, source: Source, first: datetime) -> None:
        trigger = trigger_for(source.schedule, self.settings.timezone, start=first)
        self._aps.add_job(self._job, trigger, args=[self._crawl_job, source.id],
                          id=f"crawl:{source.id}", name=f"crawl {source.id}", executor="crawls",
                          next_run_time=first)

    def _crawl_job(self, source_id: str) -> None:
        source = self.config.source(source_id)
        started = self.clock()
        job_id = f"crawl:{source_id}"
        with self._lock:
            self._running.add(source_id)
        self._record(job_id, last_started_at=started, last_status="running", last_message=None)
        _say(logging.INFO, "crawl.started", source=source_id)
        try:
            result = self._crawl(source)
        except Exception as exc:  # a bug in one crawl must not stop the others
            log.exception("crawl.error", extra={"fields": {"source": source_id}})
            result = JobResult("error", f"{type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._running.discard(source_id)
        self._record(job_id, last_finished_at=self.clock(), last_status=result.status,
                     last_message=result.message or None)
        # Whatever the crawl found is due to go out now, not in up to a minute.
        self._dispatch_soon()

    def _crawl(self, source: Source) -> JobResult:
        t0 = time.monotonic()
        # The spider closes itself at crawl_timeout; this limit is for a child that hangs.
        limit = source.crawl.crawl_timeout * 1.1 + 60
        run = run_crawl(self.config, [source.id], timeout=limit, quiet=True,
                        stop=self.stopping, stop_grace=self.settings.stop_grace)
        seconds = round(time.monotonic() - t0, 1)
        crawl = run.crawls[-1] if run.crawls else {}
        if run.busy:
            status, message = "skipped", "another process is crawling this source " \
                f"(lock {lock_path(self.config.database, source.id)})"
        elif run.interrupted:
            status, message = "interrupted", "stopped with the scheduler"
        elif run.timed_out:
            status, message = "timed_out", f"killed after {limit:.0f}s"
        elif run.returncode != 0:
            status, message = "crashed", f"crawl process exited with status {run.returncode}"
        else:
            status, message = crawl.get("status") or "unknown", crawl.get("error") or ""
        level = logging.INFO if status in ("ok", "interrupted", "skipped") else logging.WARNING
        _say(level, "crawl.finished", source=source.id, status=status, seconds=seconds,
             new=crawl.get("pages_new"), changed=crawl.get("pages_changed"),
             unchanged=crawl.get("pages_unchanged"), removed=crawl.get("pages_removed"),
             failed=crawl.get("pages_failed"), requests=crawl.get("requests"),
             crawl_id=crawl.get("id"), next=self._next_run(f"crawl:{source.id}"),
             message=(message or None) and message[:300])
        return JobResult(status, message)

    def _next_run(self, job_id: str) -> str | None:
        """When the job runs next (None once stopping: nothing is planned any more)."""
        if self.stopping.is_set():
            return None
        job = self._aps.get_job(job_id)
        return iso(job.next_run_time) if job is not None and job.next_run_time else None

    def _dispatch_job(self) -> None:
        from .alerts.dispatch import Dispatcher

        started = self.clock()
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(
                self.config.database, self.config.alerts,
                archive_base_url=self.config.archive_base_url, digest=self.config.digest)
        report = self._dispatcher.run_once()
        if report.attempted or report.skipped:
            level = logging.WARNING if report.failed or report.retried else logging.INFO
            _say(level, "dispatch.finished", sent=report.sent, messages=report.messages,
                 retried=report.retried, failed=report.failed, disabled=report.disabled,
                 errors="; ".join(report.errors[:3]) or None)
        self._record("dispatch", last_started_at=started, last_finished_at=self.clock(),
                     last_status="ok", last_message=str(report))

    def _digest_trigger(self) -> CronTrigger | None:
        """None when a digest would go nowhere (no recipients, no folder to write it to)."""
        digest = self.config.digest
        if digest.rule is None and digest.out_dir is None:
            return None
        return CronTrigger(day_of_week=digest.day_of_week, hour=digest.hour,
                           minute=digest.minute, timezone=digest.tz)

    def _add_digest_job(self, now: datetime) -> bool:
        """Schedule the digest; True when the last scheduled one was missed (the scheduler
        was running before that time, but no digest of that period exists)."""
        trigger = self._digest_trigger()
        if trigger is None:
            return False
        self._aps.add_job(self._job, trigger, args=[self._digest_job], id="digest",
                          name="digest")
        period = self.config.digest.period
        last = last_fire_before(trigger, now, period)
        if last is None:
            return False
        db = open_db(self.config.database)
        try:
            before = state.job(db, "digest")
            missed = (before is not None and before["updated_at"] is not None
                      and parse_ts(before["updated_at"]) < last
                      and not state.has_digest_ending(db, last.astimezone(UTC)))
        finally:
            db.close()
        return missed

    def _digest_job(self) -> None:
        from .alerts.digest import make_digest

        trigger = self._digest_trigger()
        assert trigger is not None
        now = self.clock()
        settings = self.config.digest
        period = settings.period
        # The period ends at the fire time this run stands for, whenever it actually runs,
        # so a late or repeated run makes the same digest (and sends it once).
        until = (last_fire_before(trigger, now, period) or now).astimezone(UTC)
        out = settings.out_dir / until.strftime("%Y-%m-%d") if settings.out_dir else None
        started = self.clock()
        try:
            result = make_digest(self.config, since=until - period, until=until, out=out,
                                 send=settings.rule is not None)
        except Exception as exc:
            log.exception("digest.error")
            self._record("digest", last_started_at=started, last_finished_at=self.clock(),
                         last_status="error", last_message=f"{type(exc).__name__}: {exc}")
            return
        _say(logging.INFO, "digest.made", digest=result.id, since=until - period, until=until,
             deliveries=len(result.deliveries), path=result.path)
        self._record("digest", last_started_at=started, last_finished_at=self.clock(),
                     last_status="ok", last_message=result.id)
        self._dispatch_soon()

    def _dispatch_soon(self) -> None:
        if self.stopping.is_set():
            return
        with contextlib.suppress(JobLookupError, SchedulerNotRunningError):
            self._aps.modify_job("dispatch", next_run_time=self.clock())

    # -- bookkeeping -----------------------------------------------------------------------

    def _on_job_event(self, event: JobEvent) -> None:
        if self.stopping.is_set():
            return
        if event.code == EVENT_JOB_MAX_INSTANCES:
            _say(logging.WARNING, "job.skipped", job=event.job_id,
                 reason="the previous run is still going")
        elif event.code == EVENT_JOB_MISSED:
            _say(logging.WARNING, "job.missed", job=event.job_id,
                 scheduled=getattr(event, "scheduled_run_time", None))
        elif event.code == EVENT_JOB_ERROR:
            _say(logging.ERROR, "job.error", job=event.job_id,
                 error=repr(getattr(event, "exception", None)))
        self._save_plan()

    def _save_plan(self) -> None:
        """Write every job's next run time (for `rightswatch sources`)."""
        db = open_db(self.config.database)
        try:
            for job in self._aps.get_jobs():
                kind, _, source_id = job.id.partition(":")
                schedule = None
                if kind == "crawl":
                    schedule = self.config.source(source_id).schedule.describe()
                state.record_job(db, job.id, kind=kind, source_id=source_id or None,
                                 schedule=schedule, next_run_at=job.next_run_time)
        finally:
            db.close()

    def _record(self, job_id: str, **last: Any) -> None:
        next_run = self._next_run(job_id)
        db = open_db(self.config.database)
        try:
            kind, _, source_id = job_id.partition(":")
            schedule = self.config.source(source_id).schedule.describe() \
                if kind == "crawl" else None
            state.record_job(db, job_id, kind=kind, source_id=source_id or None,
                             schedule=schedule,
                             next_run_at=parse_ts(next_run) if next_run else None, **last)
        finally:
            db.close()

    def _reap_stale_crawls(self, db: Any) -> None:
        """Close crawl records left 'running' by a process that is gone: nobody holds the
        source's lock, so nobody is crawling it."""
        for crawl in state.stale_running_crawls(db):
            free, fds = lock_sources(self.config.database, [crawl["source_id"]])
            try:
                if free:
                    state.mark_interrupted(db, crawl["id"])
                    _say(logging.WARNING, "crawl.reaped", source=crawl["source_id"],
                         crawl_id=crawl["id"], pid=crawl["pid"])
            finally:
                for fd in fds:
                    os.close(fd)

    @property
    def jobs(self) -> list[Any]:
        return list(self._aps.get_jobs())


def run(config: Config, *, log_format: str = "logfmt",
        install_signals: bool = True, stop: threading.Event | None = None) -> int:
    """`rightswatch run`: the scheduler in the foreground until SIGTERM/SIGINT."""
    configure_logging(log_format)
    stop = stop or threading.Event()
    if install_signals:
        def on_signal(signum: int, _frame: Any) -> None:
            if stop.is_set():
                _say(logging.WARNING, "scheduler.signal", signal=signal.Signals(signum).name,
                     note="already stopping; crawls are killed after stop_grace")
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    Scheduler(config).run_until(stop)
    return 0


__all__ = ["LogFormatter", "Scheduler", "configure_logging", "last_fire_before", "next_due",
           "plan_first_runs", "planned_next_crawls", "run", "trigger_for"]
