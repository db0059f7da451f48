"""Lists as iterators that follow the `Link: <...?limit=..&cursor=..>; rel="next"` header.

    for call in client.calls.list():          # every call, newest first, page after page
        ...
    async for call in aclient.calls.list():
        ...

A page may hold fewer items than `limit`, even none, while a next link remains: the iterators keep
following it until there is none. `.pages()` yields whole pages with their cursors.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from dce_client._ops import ListOperation

_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?', re.IGNORECASE)
Params = Mapping[str, str | int]


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    next_cursor: str | None


def next_params(response: httpx.Response, params: Params) -> dict[str, str | int] | None:
    """The query of the next page (the same filters, the link's cursor and limit), None on the last page."""
    match = _NEXT.search(response.headers.get("link", ""))
    if not match:
        return None
    query = parse_qs(urlsplit(match.group(1)).query)
    cursor = query.get("cursor", [""])[0]
    if not cursor:
        return None
    following: dict[str, str | int] = {**params, "cursor": cursor}
    if query.get("limit"):
        following["limit"] = query["limit"][0]
    return following


def read_page[T](
    operation: ListOperation[T], response: httpx.Response, data: Any, params: Params
) -> tuple[Page[T], dict[str, str | int] | None]:
    following = next_params(response, params)
    cursor = str(following["cursor"]) if following else None
    return Page([operation.item(item) for item in data], cursor), following


Fetch = Callable[[str, Params], tuple[httpx.Response, Any]]
AsyncFetch = Callable[[str, Params], Awaitable[tuple[httpx.Response, Any]]]


class Paginator[T]:
    """A lazy iterator over every item of a list, fetching pages as it goes (sync)."""

    def __init__(self, fetch: Fetch, operation: ListOperation[T]) -> None:
        self._fetch, self._operation = fetch, operation

    def pages(self) -> Iterator[Page[T]]:
        params: Params | None = dict(self._operation.params)
        while params is not None:
            response, data = self._fetch(self._operation.path, params)
            page, params = read_page(self._operation, response, data, params)
            yield page

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def first_page(self) -> Page[T]:
        return next(iter(self.pages()))

    def to_list(self, max_items: int | None = None) -> list[T]:
        items: list[T] = []
        for item in self:
            if max_items is not None and len(items) >= max_items:
                break
            items.append(item)
        return items


class AsyncPaginator[T]:
    """The same over the async client: `async for item in paginator`."""

    def __init__(self, fetch: AsyncFetch, operation: ListOperation[T]) -> None:
        self._fetch, self._operation = fetch, operation

    async def pages(self) -> AsyncIterator[Page[T]]:
        params: Params | None = dict(self._operation.params)
        while params is not None:
            response, data = await self._fetch(self._operation.path, params)
            page, params = read_page(self._operation, response, data, params)
            yield page

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def first_page(self) -> Page[T]:
        async for page in self.pages():
            return page
        raise AssertionError("unreachable: a list has at least one page")

    async def to_list(self, max_items: int | None = None) -> list[T]:
        items: list[T] = []
        async for item in self:
            if max_items is not None and len(items) >= max_items:
                break
            items.append(item)
        return items
