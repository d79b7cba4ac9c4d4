"""Start-up hook of every Python process a check runs (first on ``PYTHONPATH``, so a repo's own
``sitecustomize.py`` is never imported). It makes a failure say where it happened:

- SIGUSR1 dumps every thread's stack to stderr (``lifetime.py bound`` sends it to a command
  that ran out of time, just before killing it), so a timeout names the line that was running;
- with ``PAPERCODER_MEMORY_MB`` set (the container's memory limit), the process's data segment
  is capped a little below it, so a runaway allocation raises ``MemoryError`` with a traceback
  instead of the whole container being killed by the kernel without a word.

Nothing here may stop the repo's code from starting: every step fails silently.
"""


def _install() -> None:
    import os

    try:
        import faulthandler
        import signal

        try:  # a copy of stderr: fd 2 redirected later (pytest's capture) would swallow them
            out = os.dup(2)
        except OSError:
            out = 2
        faulthandler.register(signal.SIGUSR1, file=out, all_threads=True, chain=False)
    except Exception:
        pass
    try:
        import resource

        limit = int(int(os.environ.get("PAPERCODER_MEMORY_MB", "0")) * 1024 * 1024 * 0.85)
        if limit > 0:
            _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except Exception:
        pass


_install()
del _install
