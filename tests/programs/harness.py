"""The CPython side of steploop's differential test (tests/cpython.rs).

The test writes this file, then one function per generated program, then a call to
`run_all`, and pipes it all to one python3 (3.11). Each program runs on a fresh VirtualLoop:
asyncio's own selector event loop, unchanged, except in three places.

- Time is virtual. `time()` returns a number that only the selector moves: where asyncio would
  block in `select(timeout)` until the next timer is due, VirtualSelector adds `timeout` to the
  clock and returns at once. (CPython's test_asyncio does the same with test_utils.TestLoop.)
  With nothing ready and no timer pending, asyncio would block for ever: the selector raises
  Stalled instead, as steploop reports a stall.
- Ticks are counted: every `_run_once` (one iteration of the loop) adds one.
- Timers with equal deadlines run in the order they were scheduled. asyncio's timer heap compares
  deadlines only, so heapq may pop equal ones in any order; steploop promises FIFO. This is the
  one deliberate difference between the two loops, and FifoTimerHandle neutralises it by
  breaking ties with a sequence number.

A task group that aborts cancels its tasks in the order they were created (TaskGroup below):
asyncio walks a set, in an order of addresses that no loop can be compared on, and creation
order is one of the orders it may take.

Each program prints to stdout, between `program N` and `end`:
    event TICK MILLIS TEXT   what the program printed, in order, with the tick and loop time
    state ID TEXT            how each slot ended (futures, tasks, gathers, handles)
    outcome TEXT             how the run ended, and at which loop time
    tag NAME                 a construct the program used that only shows at run time
"""

import asyncio
import gc
import heapq
import itertools
import logging
import selectors
import sys
from asyncio import events

# GC-driven reports ("Task was destroyed but it is pending!", "exception was never retrieved")
# come when CPython's collector runs, which is not something the two loops can agree on.
logging.getLogger("asyncio").setLevel(logging.CRITICAL + 1)


class Runaway(Exception):
    """A program ran for MAX_TICKS ticks: generated programs are finite trees of ops and end
    in a few dozen, so this is a loop gone wrong, reported instead of waited for."""


MAX_TICKS = 100_000  # run_all sets the test's own count


# ANCHOR: virtual_loop
class Clock:
    now = 0.0


class Stalled(Exception):
    """Nothing is ready and no timer is pending: asyncio would wait for ever."""


class VirtualSelector(selectors.SelectSelector):
    def __init__(self, clock):
        super().__init__()
        self.clock = clock

    def select(self, timeout=None):
        if timeout is None:
            raise Stalled()
        self.clock.now += timeout  # instead of sleeping
        return []


class FifoTimerHandle(events.TimerHandle):
    """A TimerHandle that orders equal deadlines by when it was scheduled."""

    __slots__ = ("_seq",)

    def __lt__(self, other):  # heapq compares with < only
        return (self._when, self._seq) < (other._when, other._seq)


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        self.clock = Clock()
        self.tick = 0
        self._sequence = itertools.count()
        super().__init__(VirtualSelector(self.clock))

    def time(self):
        return self.clock.now

    def _run_once(self):
        self.tick += 1
        if self.tick > MAX_TICKS:
            raise Runaway()
        super()._run_once()

    def call_at(self, when, callback, *args, context=None):
        # BaseEventLoop.call_at (debug checks left out), with a FifoTimerHandle.
        self._check_closed()
        timer = FifoTimerHandle(when, callback, args, self, context)
        timer._seq = next(self._sequence)
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer
# ANCHOR_END: virtual_loop


class E(Exception):
    """The programs' own error: E("e5") prints as e5."""


def fmt(x, messages=True):
    """A value or an exception as both runners print it.

    `messages=False` leaves out the message of a CancelledError, for one that comes from a task
    or a gather. CPython 3.11 hands the CancelledError a task ended with (and its message) to
    the first reader only; later readers get a new one without the message (Future
    ._make_cancelled_error "should only be called once"). steploop gives every reader the
    message. Messages are compared where they come from a plain future, which gives each
    reader the message in both."""
    if isinstance(x, list):
        return "[" + ", ".join(fmt(i, messages) for i in x) + "]"
    if isinstance(x, BaseExceptionGroup):
        return "ExceptionGroup[" + ", ".join(fmt(e, messages) for e in x.exceptions) + "]"
    if isinstance(x, asyncio.CancelledError):
        return f"cancelled({x})" if messages else "cancelled"
    if isinstance(x, TimeoutError):
        return "timeout"
    if isinstance(x, asyncio.InvalidStateError):
        return "invalid state"
    if isinstance(x, E):
        return str(x)
    if isinstance(x, RuntimeError):
        return "runtime error"
    if isinstance(x, BaseException):
        return f"{type(x).__name__}: {x}"
    return str(x)


def state(f):
    """How a future or task stands. The cancellation message is left out: reading it means
    calling result(), which in 3.11 consumes the saved CancelledError that the next awaiter
    would see."""
    if not f.done():
        return "pending"
    if f.cancelled():
        return "cancelled"
    e = f.exception()
    if e is not None:
        return f"exception {fmt(e, messages=False)}"  # only a gather's can be a CancelledError
    return f"result {fmt(f.result(), messages=False)}"


class Program:
    """What a program's code sees: the loop, its slots, and `log`."""

    def __init__(self, loop):
        self.loop = loop
        self.slots = {}
        self.lines = []
        self.tags = set()

    def log(self, text):
        self.lines.append(f"event {self.loop.tick} {round(self.loop.time() * 1000)} {text}")

    def tag(self, name):
        self.tags.add(name)


CURRENT = None  # the Program running, for the task factory and wait_for


class TrackedTask(asyncio.Task):
    """asyncio's Task, noting two kinds of cancel() that the test may leave out:
    - of the task that is running: asyncio then only sets _must_cancel, and delivers
      CancelledError at the task's next suspension;
    - of a task whose awaited future was cancelled and which has not resumed yet: asyncio
      then resumes it with that future's CancelledError (and its message)."""

    def cancel(self, msg=None):
        if not self.done():
            if asyncio.current_task(self.get_loop()) is self:
                CURRENT.tag("cancel_running_task")
            elif self._fut_waiter is not None and self._fut_waiter.cancelled():
                CURRENT.tag("cancel_woken_task")
        return super().cancel(msg)


def wait_for(fut, timeout):
    """asyncio.wait_for, noting a future that is already done (with a timeout above zero)."""
    if fut.done() and timeout > 0:
        CURRENT.tag("wait_for_done")
    return asyncio.wait_for(fut, timeout)


def wait(fs, timeout, return_when):
    """asyncio.wait, noting an awaitable given twice (shield() of a done future returns the
    future itself, so this happens at run time too)."""
    if len(set(fs)) < len(fs):
        CURRENT.tag("wait_duplicates")
    return asyncio.wait(fs, timeout=timeout, return_when=return_when)


def as_completed(fs, timeout):
    """asyncio.as_completed, noting an awaitable given twice, a loop that ends while
    as_completed still watches awaitables not done (left early, or after a cancelled await of
    one of its results, which used up a turn: asyncio then leaves the callbacks and the
    timeout's timer in place), and a cancelled await of one of its results."""
    if len(set(fs)) < len(fs):
        CURRENT.tag("as_completed_duplicates")
    if sum(f.done() for f in set(fs)) > 1:
        # asyncio adds its callbacks walking a set: in an order of addresses, which no program
        # can rely on, and which steploop does not copy (it goes in argument order).
        CURRENT.tag("as_completed_done_together")
    left = len(set(fs))
    todo = None
    try:
        results = asyncio.as_completed(fs, timeout=timeout)
        for c in results:
            # What as_completed still watches (its own set, which its callbacks and its
            # timeout empty): callbacks and a timer stay behind while it is not empty.
            todo = results.gi_frame.f_locals["todo"]
            yield noting_cancellation(c)
            left -= 1
    finally:
        if left or todo:
            CURRENT.tag("as_completed_abandoned")


class TaskGroup(asyncio.TaskGroup):
    """asyncio.TaskGroup, cancelling its tasks in the order they were created when it aborts
    (asyncio's own walks the set of its tasks)."""

    def __init__(self):
        super().__init__()
        self._created = []

    def create_task(self, coro, *, name=None, context=None):
        task = super().create_task(coro, name=name, context=context)
        self._created.append(task)
        return task

    def _abort(self):  # TaskGroup._abort of 3.11, over a list
        self._aborting = True
        for t in self._created:
            if not t.done():
                t.cancel()


async def noting_cancellation(c):
    """Awaits one of as_completed's coroutines, noting a cancellation: asyncio's loop then has
    one result fewer to hand out (the cancelled await used up its turn)."""
    try:
        return await c
    except asyncio.CancelledError:
        CURRENT.tag("as_completed_cancelled")
        raise


def run(number, program, coroutine):
    global CURRENT
    loop = VirtualLoop()
    loop.set_task_factory(lambda loop, coro: TrackedTask(coro, loop=loop))
    P = CURRENT = Program(loop)

    def handler(loop, context):
        if "handle" in context and "exception" in context:
            P.log(f"callback error: {fmt(context['exception'])}")

    loop.set_exception_handler(handler)
    stalled = runaway = False
    main = None
    try:
        if coroutine:
            main = P.slots[0] = loop.create_task(program(P)())
            loop.run_until_complete(main)
        else:
            program(P)
            loop.run_forever()
    except Stalled:
        stalled = True
    except Runaway:
        runaway = True
    except BaseException:
        pass  # main's own exception: its state says it
    if runaway:
        outcome = f"still running after {MAX_TICKS} ticks"
    elif main is not None and main.done():
        outcome = f"main {state(main)}"
    elif stalled:
        outcome = "stalled"
    elif main is not None:
        outcome = "stopped before main completed"
    else:
        outcome = "stopped"
    at = round(loop.time() * 1000)
    out = [f"program {number}", *P.lines]
    for id, slot in sorted(P.slots.items()):
        if isinstance(slot, events.Handle):
            out.append(f"state {id} {'cancelled' if slot.cancelled() else 'not cancelled'}")
        else:
            out.append(f"state {id} {state(slot)}")
    out.append(f"outcome {outcome} at t={at // 1000}.{at % 1000:03}")
    out.extend(f"tag {t}" for t in sorted(P.tags))
    out.append("end")
    loop.close()
    CURRENT = None
    print("\n".join(out))


def run_all(programs, max_ticks):
    global MAX_TICKS
    MAX_TICKS = max_ticks
    print(f"python {sys.version_info[0]}.{sys.version_info[1]}")
    # The cyclic collector runs when allocations say so, and collecting a task left pending by
    # an earlier program closes its coroutine: one that catches the GeneratorExit and goes on to
    # `await asyncio.sleep(...)` schedules a timer on whatever loop is running now. So collect
    # between programs, never during one.
    gc.disable()
    for number, program, coroutine in programs:
        run(number, program, coroutine)
        gc.collect()
