"""The benchmark workloads of ../shared/bench/WORKLOADS.md, for CPython's asyncio and for uvloop.

    python workloads.py --loop asyncio|uvloop [--only NAME] [--repeat R] [--ngrams PATH] [--chunk-lines K]

prints one JSON line per workload on standard output:
{"workload": NAME, "impl": "asyncio"|"uvloop", "n": N, "repeats": R, "seconds": S, "per_op_ns": X, ...}.

As in steploop's bench, one measurement runs a workload R times in a row, each run with a loop
of its own; R comes from bench/repeats.txt (shared by every implementation) or --repeat R.
Time is measured inside the process with time.perf_counter(), around the workload only, and
summed over the runs: "seconds" is the mean time of one run, "per_op_ns" the total over R x N.

Each workload is written the way an asyncio programmer would write it, with the public API
(call_soon, call_later, create_task, gather, sleep, create_future, run_in_executor, streams),
so the same code runs on both loops: uvloop only replaces the loop underneath.

`--only mapreduce_serial` is the serial baseline of mapreduce (impl "python-serial"): the same
map and reduce in one process, no loop, no pool.
"""

import argparse
import asyncio
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import reduce
from pathlib import Path
from typing import Dict, List

CHECK_WORD = "Aardvark"

REPEATS_FILE = Path(__file__).resolve().parent.parent / "repeats.txt"


def repeats_of(workload: str) -> int:
    """How many times `workload` runs for one measurement, from bench/repeats.txt."""
    for line in REPEATS_FILE.read_text().splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#") or fields[0] != workload:
            continue
        if len(fields) < 2 or not fields[1].isdigit() or int(fields[1]) <= 0:
            sys.exit(f"workloads.py: {REPEATS_FILE}: {line!r} should be a workload and a positive count")
        return int(fields[1])
    sys.exit(f"workloads.py: {REPEATS_FILE} has no line for {workload}")


class Measured:
    """What a workload reports: how many operations, how long they took, extra JSON fields."""

    def __init__(self, n: int, seconds: float, **extra):
        self.n = n
        self.seconds = seconds
        self.extra = extra


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def callbacks_chain(kind: str, _args) -> Measured:
    """One callback at a time: each call_soon's the next."""
    n = 1_000_000
    loop = new_loop(kind)

    def link(left: int) -> None:
        if left == 0:
            loop.stop()
        else:
            loop.call_soon(link, left - 1)

    start = time.perf_counter()
    loop.call_soon(link, n - 1)
    loop.run_forever()
    seconds = time.perf_counter() - start
    loop.close()
    return Measured(n, seconds)


def callbacks_batch(kind: str, _args) -> Measured:
    """call_soon N callbacks up front, then run the loop until all have run."""
    n = 1_000_000
    loop = new_loop(kind)
    count = 0

    def tick() -> None:
        nonlocal count
        count += 1
        if count == n:
            loop.stop()

    start = time.perf_counter()
    for _ in range(n):
        loop.call_soon(tick)
    loop.run_forever()
    seconds = time.perf_counter() - start
    loop.close()
    assert count == n
    return Measured(n, seconds)


MASK64 = (1 << 64) - 1


def shuffle(items: list, seed: int) -> None:
    """Fisher-Yates with a xorshift generator: the same order as steploop's bench."""
    state = seed
    for i in range(len(items) - 1, 0, -1):
        state ^= (state << 13) & MASK64
        state ^= state >> 7
        state ^= (state << 17) & MASK64
        j = state % (i + 1)
        items[i], items[j] = items[j], items[i]


def timers(kind: str, _args) -> Measured:
    """call_later N timers, delays a seeded shuffle of [0, 10 ms); cancel every second one;
    run until the last live timer fires."""
    n = 200_000
    delays = [i * 10_000_000 // n / 1e9 for i in range(n)]
    shuffle(delays, 0x5EED)
    loop = new_loop(kind)
    count = 0

    def fire() -> None:
        nonlocal count
        count += 1
        if count == n // 2:
            loop.stop()

    start = time.perf_counter()
    handles = [loop.call_later(delay, fire) for delay in delays]
    for handle in handles[::2]:
        handle.cancel()
    loop.run_forever()
    seconds = time.perf_counter() - start
    loop.close()
    assert count == n // 2
    return Measured(n, seconds)


def tasks_spawn(kind: str, _args) -> Measured:
    """Create N tasks whose coroutine returns its index at once; gather them; check the sum."""
    n = 100_000

    async def value(i: int) -> int:
        return i

    async def main() -> int:
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(value(i)) for i in range(n)]
        return sum(await asyncio.gather(*tasks))

    loop = new_loop(kind)
    start = time.perf_counter()
    total = loop.run_until_complete(main())
    seconds = time.perf_counter() - start
    loop.close()
    assert total == n * (n - 1) // 2
    return Measured(n, seconds)


def tasks_yield(kind: str, _args) -> Measured:
    """1,000 tasks, each yielding to the loop 1,000 times with sleep(0)."""
    tasks, yields = 1_000, 1_000

    async def yielder() -> None:
        for _ in range(yields):
            await asyncio.sleep(0)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await asyncio.gather(*[loop.create_task(yielder()) for _ in range(tasks)])

    loop = new_loop(kind)
    start = time.perf_counter()
    loop.run_until_complete(main())
    seconds = time.perf_counter() - start
    loop.close()
    return Measured(tasks * yields, seconds)


def future_pingpong(kind: str, _args) -> Measured:
    """Two tasks pass a counter back and forth through fresh loop futures."""
    n = 200_000
    loop = new_loop(kind)
    # The future each side waits on next, left where the other side finds it.
    inbox = {"a": None, "b": None}

    async def pong() -> None:
        while True:
            fut = loop.create_future()
            inbox["b"] = fut
            value = await fut
            reply, inbox["a"] = inbox["a"], None
            reply.set_result(value + 1)
            # A stops once the reply brings it to 2N: this was the last round trip.
            if value + 2 >= 2 * n:
                return

    async def ping() -> int:
        value = 0
        while value < 2 * n:
            fut = loop.create_future()
            inbox["a"] = fut
            to_b, inbox["b"] = inbox["b"], None
            to_b.set_result(value)
            value = await fut + 1
        return value

    start = time.perf_counter()
    # B starts first, so that its inbox exists when A sends.
    pong_task = loop.create_task(pong())
    ping_task = loop.create_task(ping())
    value = loop.run_until_complete(ping_task)
    loop.run_until_complete(pong_task)
    seconds = time.perf_counter() - start
    loop.close()
    assert value >= 2 * n
    return Measured(n, seconds)


def noop() -> None:
    pass


def executor_roundtrip(kind: str, _args) -> Measured:
    """Sequentially await run_in_executor(pool of 4 threads, noop), N times."""
    n = 20_000
    pool = ThreadPoolExecutor(4)

    async def main() -> int:
        loop = asyncio.get_running_loop()
        calls = 0
        for _ in range(n):
            await loop.run_in_executor(pool, noop)
            calls += 1
        return calls

    loop = new_loop(kind)
    start = time.perf_counter()
    calls = loop.run_until_complete(main())
    seconds = time.perf_counter() - start
    loop.close()
    pool.shutdown()
    assert calls == n
    return Measured(n, seconds)


def executor_fanout(kind: str, _args) -> Measured:
    """Start N run_in_executor(pool of 4 threads, noop) at once and gather them."""
    n = 100_000
    pool = ThreadPoolExecutor(4)

    async def main() -> list:
        loop = asyncio.get_running_loop()
        return await asyncio.gather(*[loop.run_in_executor(pool, noop) for _ in range(n)])

    loop = new_loop(kind)
    start = time.perf_counter()
    results = loop.run_until_complete(main())
    seconds = time.perf_counter() - start
    loop.close()
    pool.shutdown()
    assert len(results) == n
    return Measured(n, seconds)


def tcp_echo(kind: str, _args) -> Measured:
    """One server and 50 clients on the same loop over 127.0.0.1, with asyncio streams: each
    client sends a 64-byte message and awaits its echo, 2,000 times. (asyncio and uvloop set
    TCP_NODELAY on TCP transports themselves.)"""
    clients, rounds, size = 50, 2_000, 64

    async def main() -> int:
        loop = asyncio.get_running_loop()
        handlers_done = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            done = loop.create_future()
            handlers_done.append(done)
            # A server reads what has come, as much as a usual buffer holds.
            while data := await reader.read(4096):
                writer.write(data)
                await writer.drain()
            writer.close()
            await writer.wait_closed()
            done.set_result(None)

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]

        async def client(i: int) -> int:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            message = bytes([i]) * size
            for _ in range(rounds):
                writer.write(message)
                await writer.drain()
                reply = await reader.readexactly(size)
            assert reply == message
            writer.write_eof()
            # The server closes its side after our EOF; wait for it, then close ours.
            assert await reader.read() == b""
            writer.close()
            await writer.wait_closed()
            return rounds

        echoed = sum(await asyncio.gather(*[client(i) for i in range(clients)]))
        await asyncio.gather(*handlers_done)
        server.close()
        await server.wait_closed()
        return echoed

    loop = new_loop(kind)
    start = time.perf_counter()
    echoed = loop.run_until_complete(main())
    seconds = time.perf_counter() - start
    loop.close()
    assert echoed == clients * rounds
    return Measured(echoed, seconds)


def rss_kib() -> tuple:
    """The resident set size now and at its peak, in KiB, from /proc/self/status."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(rest.split()[0])
    return fields.get("VmRSS", 0), fields.get("VmHWM", 0)


def sleepers(kind: str, _args) -> Measured:
    """N tasks each await sleep(1.0) at once; gather; report peak RSS and the RSS growth per
    sleeping task (measured as steploop's bench does: before the loop exists, and half a
    second in, while every task sleeps)."""
    n = 1_000_000
    before, _ = rss_kib()
    loop = new_loop(kind)
    during = 0

    def look() -> None:
        nonlocal during
        during = rss_kib()[0]

    async def main() -> None:
        tasks = [loop.create_task(asyncio.sleep(1.0)) for _ in range(n)]
        loop.call_later(0.5, look)
        await asyncio.gather(*tasks)

    start = time.perf_counter()
    loop.run_until_complete(main())
    seconds = time.perf_counter() - start
    loop.close()
    _, peak = rss_kib()
    per_task = max(during - before, 0) * 1024 // n
    return Measured(n, seconds, peak_rss_kb=peak, rss_bytes_per_task=per_task)


# The seed's partition and map_frequencies, unchanged.
def partition(data: List, chunk_size: int):
    for i in range(0, len(data), chunk_size):
        yield data[i : i + chunk_size]


def map_frequencies(chunk: List[str]) -> Dict[str, int]:
    frequencies = {}
    for line in chunk:
        word, _, count, _ = line.split("\t")
        if word in frequencies:
            frequencies[word] += int(count)
        else:
            frequencies[word] = int(count)
    return frequencies


def merge_dict(first: Dict[str, int], second: Dict[str, int]) -> Dict[str, int]:
    """The seed's merge_dict, done as steploop's merge_frequencies does it: the smaller dict is
    added into the larger in place. (The seed builds a new dict of the union of the keys on
    every merge, which costs more as the totals grow.)"""
    if len(first) < len(second):
        first, second = second, first
    for word, count in second.items():
        first[word] = first.get(word, 0) + count
    return first


_LINES: Dict[str, List[str]] = {}


def read_ngrams(args) -> List[str]:
    """Loading the input, not timed (the seed reads with readlines() before its timer too).
    Read once, and kept for the repeated runs."""
    if args.ngrams is None:
        sys.exit("workloads.py: mapreduce needs its input file: pass --ngrams PATH")
    if args.ngrams not in _LINES:
        try:
            with open(args.ngrams, encoding="utf-8") as f:
                _LINES[args.ngrams] = f.readlines()
        except OSError as e:
            sys.exit(f"workloads.py: cannot read the ngram file {args.ngrams!r}: {e}")
    return _LINES[args.ngrams]


def mapreduce(kind: str, args) -> Measured:
    """Word frequency as in the seed: chunks of lines go to a pool of 2 processes with
    run_in_executor (each chunk is pickled to its worker, each result pickled back), gather,
    reduce by merging the dicts."""
    lines = read_ngrams(args)

    async def main() -> Dict[str, int]:
        loop = asyncio.get_running_loop()
        # As in the seed, the pool is made inside the timed part; its workers start on the
        # first submit.
        with ProcessPoolExecutor(2) as pool:
            tasks = [
                loop.run_in_executor(pool, map_frequencies, chunk)
                for chunk in partition(lines, args.chunk_lines)
            ]
            middle_results = await asyncio.gather(*tasks)
            return reduce(merge_dict, middle_results)

    loop = new_loop(kind)
    start = time.perf_counter()
    totals = loop.run_until_complete(main())
    seconds = time.perf_counter() - start
    loop.close()
    chunks = -(-len(lines) // args.chunk_lines)
    return Measured(len(lines), seconds, check=totals.get(CHECK_WORD, 0), chunks=chunks)


def mapreduce_serial(_kind: str, args) -> Measured:
    """The serial baseline: the same map over all the lines in this process, no loop, no pool."""
    lines = read_ngrams(args)
    start = time.perf_counter()
    totals = map_frequencies(lines)
    seconds = time.perf_counter() - start
    return Measured(len(lines), seconds, check=totals.get(CHECK_WORD, 0), chunks=1)


WORKLOADS = {
    "callbacks_chain": callbacks_chain,
    "callbacks_batch": callbacks_batch,
    "timers": timers,
    "tasks_spawn": tasks_spawn,
    "tasks_yield": tasks_yield,
    "future_pingpong": future_pingpong,
    "sleepers": sleepers,
    "executor_roundtrip": executor_roundtrip,
    "executor_fanout": executor_fanout,
    "tcp_echo": tcp_echo,
    "mapreduce": mapreduce,
}

# Run only when asked for by name, as steploop's `mapreduce_serial`.
EXTRA_WORKLOADS = {"mapreduce_serial": mapreduce_serial}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], required=True)
    parser.add_argument("--only", metavar="NAME", help="run one workload")
    parser.add_argument("--repeat", metavar="R", type=int, help="runs per measurement, in place of bench/repeats.txt")
    parser.add_argument("--ngrams", metavar="PATH", help="the mapreduce input file")
    parser.add_argument("--chunk-lines", metavar="K", type=int, default=500_000)
    args = parser.parse_args()
    if args.chunk_lines <= 0:
        parser.error(f"--chunk-lines wants a positive number, not {args.chunk_lines}")
    if args.repeat is not None and args.repeat <= 0:
        parser.error(f"--repeat wants a positive number, not {args.repeat}")
    every = {**WORKLOADS, **EXTRA_WORKLOADS}
    if args.only is not None and args.only not in every:
        parser.error(f"no workload named {args.only!r}; the workloads are: {', '.join(every)}")
    if args.loop == "uvloop":
        try:
            import uvloop  # noqa: F401
        except ImportError:
            sys.exit("workloads.py: uvloop is not installed in this Python; bench/compare makes a venv with it")
    for name, run in every.items():
        if args.only is None and name in EXTRA_WORKLOADS:
            continue
        if args.only is not None and args.only != name:
            continue
        if name == "mapreduce" and args.ngrams is None and args.only is None:
            print("workloads.py: skipping mapreduce (no --ngrams PATH given)", file=sys.stderr)
            continue
        repeats = args.repeat or repeats_of(name)
        total = 0.0
        for _ in range(repeats):
            measured = run(args.loop, args)
            total += measured.seconds
        impl = "python-serial" if name == "mapreduce_serial" else args.loop
        record = {
            "workload": name,
            "impl": impl,
            "n": measured.n,
            "repeats": repeats,
            "seconds": round(total / repeats, 6),
            "per_op_ns": round(total * 1e9 / (measured.n * repeats), 1),
            **measured.extra,
        }
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
