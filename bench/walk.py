"""Walk a list to its end as a client does, following each page's `Link: <URL>; rel="next"`.

The generated list's cursors are signed with its SECRET_KEY: the bench cannot make one, so it
collects them on the way. Each page is timed, so the walk also shows whether a page deep in a
large table costs what the first one does.
"""

import json
import re
import statistics
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench import floor
from bench.servers import BenchError

LIST = "/api/resources/v1?page_size=20"  # its first page
WALK = "/api/resources/v1?page_size=100"  # by the largest pages
NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


@dataclass
class Step:
    """A page that has a next one: the rows seen up to its end, its next cursor, its last row."""

    rows: int
    next: str
    last: dict[str, Any]


@dataclass
class Walk:
    seconds: list[float] = field(default_factory=list)  # per page, in order
    steps: list[Step] = field(default_factory=list)  # every page but the last
    rows: int = 0

    def after(self, rows: int) -> Step:
        """The first page ending at or past rows: its cursor starts the page after that row."""
        return next(step for step in self.steps if step.rows >= rows)

    def tenths(self) -> tuple[float, float]:
        """Median seconds per page of the first and of the last tenth of the pages."""
        tenth = max(1, len(self.seconds) // 10)
        return statistics.median(self.seconds[:tenth]), statistics.median(self.seconds[-tenth:])


def page(url: str) -> tuple[dict[str, Any], str | None]:
    """One page's body and the URL its Link header names (None on the last page)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = json.load(response)
            link = response.headers.get("Link")
    except OSError as error:
        raise BenchError(f"GET {url} failed: {error}") from None
    found = NEXT.search(link or "")
    if (found is None) != (body.get("next") is None):
        raise BenchError(f"GET {url}: next is {body.get('next')!r} but Link is {link!r}")
    return body, found.group(1) if found else None


def walk(url: str) -> Walk:
    """Follow next from url to the last page."""
    done = Walk()
    following: str | None = url
    while following is not None:
        started = time.perf_counter()
        body, following = page(following)
        done.seconds.append(time.perf_counter() - started)
        done.rows += len(body["items"])
        if following is not None:
            done.steps.append(Step(done.rows, body["next"], body["items"][-1]))
    return done


def key(item: dict[str, Any]) -> tuple[datetime, int]:
    """An item's key in the list's order, as the database stores it: UTC without a zone."""
    created_at = datetime.fromisoformat(item["created_at"]).astimezone(UTC)
    return created_at.replace(tzinfo=None), item["id"]


def with_cursor(url: str, cursor: str) -> str:
    """url (whose query has no cursor yet) continuing after cursor."""
    return f"{url}&cursor={urllib.parse.quote(cursor)}"


def floor_page(url: str, step: Step) -> str:
    """The floor's page of 20 after the last row of a step (its cursor is not signed)."""
    return with_cursor(url + LIST, floor.cursor(*key(step.last)))


def same_page(generated: str, bare: str) -> tuple[str, str]:
    """Both URLs, after checking that they answer the same rows."""
    if len({tuple(item["id"] for item in page(url)[0]["items"]) for url in (generated, bare)}) > 1:
        raise BenchError(f"{generated} and {bare} answer different rows")
    return generated, bare
