# Refuses, in the cell's own thread, a write that would take stdout+stderr over the limit.
# The server counts what arrives too, but IPython keeps a copy of each cell's output in
# memory and a tight print loop can outrun the publishing, so memory would run out first.
# IPython re-wraps the streams' write for every cell, hence a pre_run_cell hook. Other
# threads (ipykernel's fd watcher) pass through; the server's count catches them.


def cap_output(limit: int) -> None:
    import sys
    import threading
    from collections.abc import Callable
    from typing import Any

    from IPython import get_ipython

    class OutputLimitExceeded(Exception):
        pass

    written = [0]

    def capped(write: Callable[..., int]) -> Callable[..., int]:
        def capped_write(text: str, *args: Any, **kwargs: Any) -> int:
            written[0] += len(text)
            if written[0] > limit and threading.current_thread() is threading.main_thread():
                raise OutputLimitExceeded(f"stdout and stderr together over {limit} bytes")
            return write(text, *args, **kwargs)

        return capped_write

    def cap_streams(*_: object) -> None:
        sys.stdout.write = capped(sys.stdout.write)  # type: ignore[method-assign]
        sys.stderr.write = capped(sys.stderr.write)  # type: ignore[method-assign]

    get_ipython().events.register("pre_run_cell", cap_streams)
