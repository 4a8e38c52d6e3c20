"""Rich progress bars for long CLI steps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from churnguard.cli.common import console


@contextmanager
def steps(*, output: Console = console) -> Iterator[Callable]:
    """A progress display; ``step(label, total=1)`` opens one bar and yields ``advance``.

    Examples
    --------
    >>> import io
    >>> with steps(output=Console(file=io.StringIO())) as step:
    ...     with step("count", total=2) as advance:
    ...         advance(); advance()
    """
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=output,
        transient=False,
    )

    @contextmanager
    def step(label: str, total: int = 1) -> Iterator[Callable[[], None]]:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)
        progress.update(task, completed=total)

    with progress:
        yield step
