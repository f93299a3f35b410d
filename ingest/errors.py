"""Every error the pipeline raises on purpose, named by what the caller should do.

IngestError
├── CatalogueError       config is wrong: fix the YAML, nothing ran
├── FetchError           a feed could not be read
│   ├── RetriableFetchError   transient (429, 5xx, reset, timeout): try again later
│   ├── FatalFetchError       will not change by retrying (4xx, bad body, runaway paging)
│   └── NotPublished          the source does not cover the day: missing, never a zero
├── BatchRejected        a landed batch failed validation: it is quarantined
└── PublishError         the warehouse was not published; the last good copy stands
"""

from __future__ import annotations

__all__ = [
    "IngestError",
    "CatalogueError",
    "FetchError",
    "RetriableFetchError",
    "FatalFetchError",
    "NotPublished",
    "BatchRejected",
    "PublishError",
]


class IngestError(Exception):
    """Base of every error the pipeline raises on purpose."""


class CatalogueError(IngestError, ValueError):
    """The catalogue config is invalid; the message names the file and the key."""


class FetchError(IngestError):
    """A feed could not be fetched; names the dataset, borough, URL and reason."""

    def __init__(self, reason: str, *, dataset: str = "", borough: str = "", url: str = ""):
        self.reason = reason
        self.dataset = dataset
        self.borough = borough
        self.url = url
        super().__init__(self.describe())

    def describe(self) -> str:
        where = " ".join(
            p for p in (self.dataset, f"from {self.borough}" if self.borough else "") if p
        )
        return f"{where or 'feed'} failed: {self.reason}" + (
            f" (url: {self.url})" if self.url else ""
        )

    def located(self, *, dataset: str, borough: str) -> FetchError:
        """The same error, now naming the feed it happened on."""
        return type(self)(self.reason, dataset=dataset, borough=borough, url=self.url)


class RetriableFetchError(FetchError):
    """Transient failure: the same request may succeed later."""


class FatalFetchError(FetchError):
    """Permanent failure: retrying the same request will not help."""


class NotPublished(FetchError):
    """The source says it has not published the day (e.g. a bulk file whose dates start later):
    nothing to land, and the day is missing, not a day of zero records."""

    def describe(self) -> str:
        where = " ".join(
            p for p in (self.dataset, f"from {self.borough}" if self.borough else "") if p
        )
        return f"{where or 'feed'}: {self.reason}" + (f" (url: {self.url})" if self.url else "")


class BatchRejected(IngestError):
    """A landed batch failed an error-severity expectation and was quarantined."""


class PublishError(IngestError):
    """The published warehouse was left as it was."""
