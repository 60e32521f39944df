# SPDX-License-Identifier: MIT
"""checks.py - the "ok - ..."/"not ok - ..." lines of the Python programs
the tests run (emit.py errors, bad_input.py)."""


def raises(tag, exc, desc, want, f, /, *a, **kw):
    """ok when f(*a, **kw) raises exc, with want in its message (None: any
    message); a wrong kind of error, or none, is not ok."""
    try:
        f(*a, **kw)
    except exc as e:
        good = want is None or want in str(e)
        print(f"{'ok' if good else 'not ok'} - {tag}{desc}: {exc.__name__} ({e})")
        return
    except Exception as e:  # noqa: BLE001 - a wrong kind is a failure
        print(f"not ok - {tag}{desc}: {type(e).__name__} ({e}), want {exc.__name__}")
        return
    print(f"not ok - {tag}{desc}: no {exc.__name__}")
