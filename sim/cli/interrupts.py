"""Ctrl-C that waits for a numba compile to finish.

While numba compiles, llvmlite calls back into Python through ctypes. A
``KeyboardInterrupt`` raised inside such a callback is printed as "Exception
ignored on calling ctypes callback" and swallowed, and the compile goes on
half-done and fails later with an unrelated error (``RuntimeError: no
compiled object yet``). A user who pressed Ctrl-C on a first run (cold cache)
would see a traceback and exit status 1 instead of the one-line message and
status 130.

:func:`install` replaces the SIGINT handler: outside a compile it raises
``KeyboardInterrupt`` at once, as Python's default handler does; while the
main thread holds numba's compiler lock it only notes the signal, and raises
``KeyboardInterrupt`` when the outermost lock is released (a compile takes
seconds, so the wait is short). numba is never imported here: if it is not
loaded, nothing can be compiling.
"""

from __future__ import annotations

import signal
import sys
import threading

COMPILER_LOCK_EVENT = "numba:compiler_lock"


def _compiler_lock():
    """numba's global compiler lock if numba is loaded, else None."""
    module = sys.modules.get("numba.core.compiler_lock")
    return None if module is None else module.global_compiler_lock


def _raise_when_unlocked(event, lock):
    """A numba event listener that raises KeyboardInterrupt once ``lock`` is released."""

    class RaiseWhenUnlocked(event.Listener):
        def on_start(self, _) -> None:
            pass

        def on_end(self, _) -> None:
            if threading.current_thread() is threading.main_thread() and not lock.is_locked():
                event.unregister(COMPILER_LOCK_EVENT, self)
                raise KeyboardInterrupt

    return RaiseWhenUnlocked()


_waiting = []  # the listener registered for the interrupt held back, if any


def _on_sigint(signum, frame) -> None:
    lock = _compiler_lock()
    if lock is None or not lock.is_locked():
        raise KeyboardInterrupt
    event = sys.modules["numba.core.event"]
    if not any(listener in event._registered[COMPILER_LOCK_EVENT] for listener in _waiting):
        _waiting[:] = [_raise_when_unlocked(event, lock)]
        event.register(COMPILER_LOCK_EVENT, _waiting[0])


def install() -> None:
    """Use the compile-aware SIGINT handler (main thread only; a no-op elsewhere)."""
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    ):
        signal.signal(signal.SIGINT, _on_sigint)
