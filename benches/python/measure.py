"""CPython's figures for corun's bench report; prints one JSON object (ns)."""
import asyncio, json, multiprocessing, time

def per(n, f):
    t = time.perf_counter_ns(); f(n); return (time.perf_counter_ns() - t) / n

def echo():
    x = 0
    while True:
        x = yield x + 1

def chain(d):
    if d == 0:
        return echo()
    def g(inner):
        yield from inner
    return g(chain(d - 1))

def drive(g, n):
    next(g); s = g.send
    for i in range(n): s(i)

def work(x):
    return x + 1

def prime(n):
    if n < 2: return False
    i = 2
    while i * i <= n:
        if n % i == 0: return False
        i += 1
    return True

async def noop(): pass

async def tasks(n):
    for _ in range(n): await asyncio.create_task(noop())

async def switches(n):
    async def one():
        for _ in range(n // 2): await asyncio.sleep(0)
    await asyncio.gather(one(), one())

def once():
    yield 1

def create(n):
    # create + start + finish + drop, as the report's generator creation
    for i in range(n):
        g = once(); next(g)
        for _ in g: pass

def nap(i):
    # the report's sleeps: 1 ms to 4 ms, spread by an integer hash
    h = ((i * 0x9E3779B97F4A7C15) % (1 << 64)) >> 40
    return (1000 + h % 3000) / 1e6

async def sleepers(n):
    t = time.perf_counter_ns()
    await asyncio.gather(*(asyncio.create_task(asyncio.sleep(nap(i))) for i in range(n)))
    longest = max(nap(i) for i in range(n)) * 1e9
    return max(0.0, time.perf_counter_ns() - t - longest) / n

def main():
    out = {"send": per(200_000, lambda n: drive(echo(), n))}
    out["yield_from"] = {str(d): per(50_000, lambda n: drive(chain(d), n)) for d in (1, 2, 4, 8, 16, 32, 64)}
    out["asyncio_task"] = per(20_000, lambda n: asyncio.run(tasks(n)))
    out["asyncio_switch"] = per(20_000, lambda n: asyncio.run(switches(n)))
    out["gen_create"] = per(100_000, create)
    out["asyncio_sleepers"] = sorted(asyncio.run(sleepers(10_000)) for _ in range(3))[1]
    with multiprocessing.Pool(2) as p:
        p.map(work, range(1000))
        out["pool_map_item"] = per(200_000, lambda n: p.map(work, range(n), chunksize=10_000))
    seq = per(1, lambda n: [prime(i) for i in range(60_000)])
    sp = {"1": 1.0}
    for w in range(2, multiprocessing.cpu_count() + 1):
        with multiprocessing.Pool(w) as p:
            sp[str(w)] = seq / per(1, lambda n: p.map(prime, range(60_000), chunksize=1000))
    out["pool_speedup"] = sp
    print(json.dumps(out))

if __name__ == "__main__":
    main()
