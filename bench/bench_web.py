"""Web reader throughput: requests/s and p50/p95/p99 latency of ``/``, ``/stories/{id}`` and
``/api/stories/{id}`` at 50 concurrent keep-alive connections, against a database of 10,000
stories (bench/webcorpus.py), served by ``storyline serve --no-worker`` on 127.0.0.1.

    .venv/bin/python bench/bench_web.py                 # about 4 minutes (corpus cached)
    .venv/bin/python bench/bench_web.py --quick         # one short run per scenario
    .venv/bin/python bench/bench_web.py --loadgen python --seconds 5
    .venv/bin/python bench/bench_web.py --target-cmd standin   # harness check, no web app

Scenarios, in this order, each a warm-up then --runs runs of --seconds seconds:
  baseline       the cheapest endpoint: /api/health when the app has one, else /api/stories/0
                 (a 404 from parameter validation: server, middleware, routing and error
                 handler, no database) -- the framework's own cost, the ratios' denominator
  static         a file under /static/ (StaticFiles: stat and read in the threadpool)
  index          / , Top Headlines (one page, so whatever the app caches, it caches)
  story-hot      /stories/{id} over a hot set of 100 ids drawn at random, uniformly
  story-all      /stories/{id} over every active story, a fixed shuffled order walked once
                 (runs continue where the last stopped): each id comes back only after all
                 the others, so an LRU page cache smaller than the corpus never hits
  api-hot/-all   the same two for /api/stories/{id}
  user-index, user-hot, user-all
                 /, story-hot and story-all signed in (a session cookie): read state,
                 mutes and "new since your last visit" per user; the first visit of a
                 story records it (a write), later ones find it unchanged. user-all walks
                 the stories once per reader, six readers in turn, so that every view is
                 its reader's first visit of that story (it says so when a run went past)
  gr-contents    Google Reader API stream/contents of the Stories stream, n=100
  gr-ids         stream/items/ids of the unread stories, n=1000

Load generator: ``wrk`` when installed (Debian package; one thread, a Lua script feeding the
paths), else a Python asyncio generator (raw streams, keep-alive) in its own process. Both run
on the server's two cores, so the CPU each takes is printed beside the figures, with the load
average: other work on the machine shows up there. Figures: per run and the median of runs;
latencies in ms; "err" counts connect/read/write/timeout errors and unexpected statuses;
"cpu/req" is the server's CPU time per request in ms (user + system, all its processes and
threads, less what it uses idle, measured for a second before each scenario), which other
load on the machine disturbs less than req/s does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

HOT_SET = 100

WRK_LUA = r"""
-- Paths from a file, one a line ("PATH" or "PATH<tab>HEADER: VALUE", a header of that
-- request's own); thread t of T takes positions start+t, start+t+T, ...
local paths = {}
local own = {}
local headers = {}
local pos, step = 0, 1
local threads_seen = 0
function setup(thread)
  thread:set("tid", threads_seen)
  threads_seen = threads_seen + 1
end
function init(args)
  for line in io.lines(args[1]) do
    local p, h = line:match("^([^\t]*)\t(.*)$")
    paths[#paths + 1] = p or line
    if h then own[#paths] = h end
  end
  step = tonumber(args[2])
  pos = tonumber(args[3]) + (tid or 0)
  if args[4] then
    for line in io.lines(args[4]) do
      local k, v = line:match("^([^:]+):%s*(.*)$")
      if k then headers[k] = v end
    end
  end
end
function request()
  local i = (pos % #paths) + 1
  pos = pos + step
  local h = headers
  if own[i] then
    h = {}
    for k, v in pairs(headers) do h[k] = v end
    local k, v = own[i]:match("^([^:]+):%s*(.*)$")
    if k then h[k] = v end
  end
  return wrk.format("GET", paths[i], h)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%.0f,"seconds":%f,"bytes":%.0f,"errors":%.0f,"status":%.0f,' ..
    '"p50":%f,"p95":%f,"p99":%f}\n',
    summary.requests, summary.duration / 1e6, summary.bytes,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3))
end
"""


@dataclass
class Run:
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    requests: int
    server_cpu: float  # cores the server used on average
    cpu_ms: float  # server CPU time per request (ms), less its idle CPU over the run
    loadgen_cpu: float  # cores the load generator used
    load: float  # 1-minute load average after the run


@dataclass
class Scenario:
    name: str
    paths: list[str]  # "PATH", or "PATH\tHEADER: VALUE" (a header of that request's own)
    expect: int = 200  # the status every response should have
    headers: list[str] = field(default_factory=list)  # e.g. a session cookie
    runs: list[Run] = field(default_factory=list)
    cursor: int = 0  # where the next run starts in ``paths``


# --- helpers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def proc_tree(pid: int) -> dict[int, list[str]]:
    """/proc/PID/stat fields of a process and its descendants (worker processes, if the
    server forks any)."""
    stats: dict[int, list[str]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stats[int(d.name)] = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
    tree, frontier = {pid}, {pid}
    while frontier:
        frontier = {p for p, f in stats.items() if int(f[1]) in frontier and p not in tree}
        tree |= frontier
    return {p: stats[p] for p in tree if p in stats}


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) of the server's processes."""
    tick = os.sysconf("SC_CLK_TCK")
    return sum((int(f[11]) + int(f[12])) / tick for f in proc_tree(pid).values())


def proc_rss_mib(pid: int) -> float:
    page = os.sysconf("SC_PAGE_SIZE")
    return sum(int(f[21]) * page for f in proc_tree(pid).values()) / 2**20


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# --- the Python load generator (its own process) ----------------------------------------


async def _connection(host: str, port: int, paths: list[str], start: int, step: int,
                      deadline: float, expect: int, lat: list[float], errors: list[int],
                      extra: str = "") -> None:
    pos = start
    reader = writer = None
    while time.perf_counter() < deadline:
        path, _, own = paths[pos % len(paths)].partition("\t")
        pos += step
        t0 = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            mine = f"{own}\r\n" if own else ""
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}{mine}\r\n"
                         .encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (h.partition(b":") for h in head.split(b"\r\n")[1:] if h)}
            if b"content-length" in headers:
                await reader.readexactly(int(headers[b"content-length"]))
            elif headers.get(b"transfer-encoding") == b"chunked":
                while True:
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            if headers.get(b"connection") == b"close":
                writer.close()
                writer = None
            if time.perf_counter() <= deadline:
                lat.append(time.perf_counter() - t0)
                if status != expect:
                    errors[0] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError, AssertionError):
            errors[0] += 1
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def _loadgen(host: str, port: int, paths: list[str], start: int, connections: int,
                   seconds: float, expect: int, extra: str = "") -> dict[str, Any]:
    lat: list[float] = []
    errors = [0]
    t0 = time.perf_counter()
    deadline = t0 + seconds
    await asyncio.gather(*(_connection(host, port, paths, start + i, connections, deadline,
                                       expect, lat, errors, extra)
                           for i in range(connections)))
    elapsed = time.perf_counter() - t0
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [0.0] * 99
    return {"requests": len(lat), "seconds": elapsed, "errors": errors[0],
            "p50": q[49] * 1e3, "p95": q[94] * 1e3, "p99": q[98] * 1e3}


def loadgen_main(args: argparse.Namespace) -> None:
    paths = Path(args.loadgen_child).read_text().split("\n")
    extra = "".join(f"{h}\r\n" for h in (Path(args.headers).read_text().splitlines()
                                           if args.headers else []) if h)
    out = asyncio.run(_loadgen("127.0.0.1", args.port, paths, args.start, args.connections,
                               args.seconds, args.expect, extra))
    print("LOADJSON " + json.dumps(out))


# --- the stand-in app (harness check while the real one does not exist) --------------------


def standin_main(args: argparse.Namespace) -> None:
    """A trivial Starlette app over the corpus: the summary JSON as it is stored, and a page
    made of its headline and sentences."""
    import html
    import sqlite3
    import threading

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    db = os.environ["STORYLINE_DATABASE_URL"].removeprefix("sqlite:///")
    local = threading.local()

    def summary(story_id: int) -> dict[str, Any] | None:
        if not hasattr(local, "conn"):
            local.conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        row = local.conn.execute("SELECT summary FROM story_summaries WHERE story_id = ?",
                                 (story_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def page(doc: dict[str, Any]) -> str:
        body = "".join(f"<h2>{html.escape(s['title'])}</h2>" + "".join(
            f"<p>{html.escape(x['text'])}</p>" for x in s["sentences"]) for s in doc["sections"])
        return f"<html><h1>{html.escape(doc['headline'])}</h1>{body}</html>"

    def health(request: Any) -> Response:
        return JSONResponse({"ok": True})

    def index(request: Any) -> Response:
        return HTMLResponse(page(summary(1) or {"headline": "", "sections": []}))

    def story(request: Any) -> Response:
        doc = summary(int(request.path_params["id"]))
        return HTMLResponse(page(doc)) if doc else HTMLResponse("not found", 404)

    def api_story(request: Any) -> Response:
        doc = summary(int(request.path_params["id"]))
        return JSONResponse(doc) if doc else JSONResponse({"error": "not found"}, 404)

    app = Starlette(routes=[Route("/api/health", health), Route("/", index),
                            Route("/stories/{id:int}", story),
                            Route("/api/stories/{id:int}", api_story)])
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


# --- the benchmark --------------------------------------------------------------------------


def start_server(target: str, port: int, env: dict[str, str], log: Path, workers: int | None
                 ) -> subprocess.Popen[bytes]:
    if target == "serve":
        cmd = [sys.executable, "-m", "storyline", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--no-worker"]
        cmd += ["--workers", str(workers)] if workers is not None else []
    elif target == "standin":
        cmd = [sys.executable, __file__, "--standin-child", "--port", str(port)]
    else:
        cmd = shlex.split(target.replace("{port}", str(port)))
    with log.open("wb") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(base: str, server: subprocess.Popen[bytes], log: Path, timeout: float) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if server.poll() is not None:
            sys.exit(f"bench_web: the server exited ({server.returncode}):\n"
                     + log.read_text(errors="replace")[-3000:])
        try:
            status, _ = get(base + "/", timeout=5)
            if status < 500:
                return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.2)
    server.kill()
    sys.exit(f"bench_web: the server was not ready in {timeout:.0f} s:\n"
             + log.read_text(errors="replace")[-3000:])


def pick_baseline(base: str) -> tuple[str, int] | None:
    """(path, status) of the cheapest endpoint the app has: a health check when there is
    one, else an invalid story id under /api (404 from FastAPI's parameter validation: the
    whole request path, middleware and error handler included, with no database work)."""
    for path in ("/api/health", "/healthz"):
        try:
            if get(base + path)[0] == 200:
                return path, 200
        except OSError:
            continue
    status, body = get(base + "/api/stories/0")
    return ("/api/stories/0", status) if status == 404 and body.startswith(b"{") else None


def pick_static(base: str) -> str | None:
    static = REPO / "storyline" / "web" / "static"
    for f in sorted(static.glob("*.css")) + sorted(static.glob("*")) if static.is_dir() else []:
        if f.is_file() and get(base + f"/static/{f.name}")[0] == 200:
            return f"/static/{f.name}"
    return None


def idle_cpu(server_pid: int, seconds: float = 1.0) -> float:
    """Cores the server uses with no request coming (its supervisor, timers): taken off
    each run's CPU time before dividing by its requests, so that a scenario served at
    fewer requests per second is not charged more of it per request."""
    cpu0, t0 = proc_cpu(server_pid), time.perf_counter()
    time.sleep(seconds)
    return max(0.0, (proc_cpu(server_pid) - cpu0) / (time.perf_counter() - t0))


def one_run(args: argparse.Namespace, port: int, paths_file: Path, start: int, seconds: float,
            server_pid: int, expect: int, headers_file: Path | None = None,
            idle: float = 0.0) -> Run:
    cpu0, kids0, t0 = proc_cpu(server_pid), children_cpu(), time.perf_counter()
    if args.loadgen == "wrk":
        cmd = ["wrk", "-t1", f"-c{args.connections}", f"-d{seconds:g}s", "--timeout", "10s",
               "-s", str(paths_file.with_suffix(".lua")), f"http://127.0.0.1:{port}",
               "--", str(paths_file), "1", str(start),
               *([str(headers_file)] if headers_file else [])]
        marker = "WRKJSON "
    else:
        cmd = [sys.executable, __file__, "--loadgen-child", str(paths_file), "--port", str(port),
               "--start", str(start), "--connections", str(args.connections),
               "--seconds", str(seconds), "--expect", str(expect),
               *(["--headers", str(headers_file)] if headers_file else [])]
        marker = "LOADJSON "
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    wall = time.perf_counter() - t0
    line = next((x for x in proc.stdout.splitlines() if x.startswith(marker)), None)
    if line is None:
        sys.exit(f"bench_web: load generator failed:\n{proc.stdout}\n{proc.stderr}")
    out = json.loads(line[len(marker):])
    if "status" in out:  # wrk counts responses with a status over 399
        out["errors"] += 0 if expect >= 400 else out["status"]
    return Run(rps=out["requests"] / out["seconds"], p50=out["p50"], p95=out["p95"],
               p99=out["p99"], errors=int(out["errors"]), requests=int(out["requests"]),
               server_cpu=(proc_cpu(server_pid) - cpu0) / wall,
               cpu_ms=max(0.0, proc_cpu(server_pid) - cpu0 - idle * wall) * 1e3
               / max(1, int(out["requests"])),
               loadgen_cpu=(children_cpu() - kids0) / wall, load=os.getloadavg()[0])


BENCH_USER, BENCH_PASSWORD = "bench", "bench-password-1"
#: user-all walks every story once per reader: these many readers (BENCH_USER, then
#: bench-2, bench-3, ...), so that its requests are first visits however fast they go.
FIRST_VISIT_READERS = 6


def reader_names() -> list[str]:
    return [BENCH_USER] + [f"{BENCH_USER}-{n}" for n in range(2, FIRST_VISIT_READERS + 1)]


def ensure_users(db_url: str) -> None:
    """The benchmark's reader accounts in the corpus, made afresh for every run (their
    reads and visits of a run before are gone with them), so that user-all's story views
    are first visits, as the scenario says."""
    from storyline.accounts import users as accounts
    from storyline.storage.db import make_engine

    engine = make_engine(db_url)
    try:
        have = {u.name for u in accounts.list_users(engine)}
        for name in reader_names():
            if name in have:
                accounts.remove_user(engine, name)
            accounts.add_user(engine, name, BENCH_PASSWORD)
    finally:
        engine.dispose()


def sign_in(base: str, name: str = BENCH_USER) -> tuple[str, str]:
    """(session cookie header, Google Reader auth header) of the benchmark's user."""
    import http.client
    import re
    from urllib.parse import urlencode, urlsplit

    host = urlsplit(base).netloc
    conn = http.client.HTTPConnection(host, timeout=30)
    conn.request("GET", "/signin")
    r = conn.getresponse()
    page = r.read().decode()
    presign = next(v.split(";")[0] for k, v in r.getheaders()
                   if k.lower() == "set-cookie" and v.startswith("storyline_signin="))
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urlencode({"name": name, "password": BENCH_PASSWORD, "csrf": csrf,
                      "next": "/"})
    conn.request("POST", "/signin", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": presign,
        "Origin": base})
    r = conn.getresponse()
    r.read()
    session = next(v.split(";")[0] for k, v in r.getheaders()
                   if k.lower() == "set-cookie" and v.startswith("storyline_session="))
    conn.request("POST", "/greader/accounts/ClientLogin",
                 body=urlencode({"Email": name, "Passwd": BENCH_PASSWORD}),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    token = re.search(r"Auth=(\S+)", r.read().decode()).group(1)  # type: ignore[union-attr]
    conn.close()
    return f"Cookie: {session}", f"Authorization: GoogleLogin auth={token}"


def page_sizes(base: str, paths: list[str]) -> tuple[int, int]:
    """(median body size, failures) over a sample of paths, each checked for status 200."""
    sizes, bad = [], 0
    for p in paths:
        status, body = get(base + p)
        bad += status != 200
        sizes.append(len(body))
    return int(statistics.median(sizes)), bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--stories", type=int, default=10_000, help="corpus size (default 10000)")
    ap.add_argument("--seconds", type=float, default=10.0, help="seconds per run (default 10)")
    ap.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds (default 3)")
    ap.add_argument("--runs", type=int, default=3, help="runs per scenario (default 3)")
    ap.add_argument("--connections", type=int, default=50, help="concurrent connections")
    ap.add_argument("--quick", action="store_true", help="one 3-second run per scenario")
    ap.add_argument("--loadgen", choices=["wrk", "python"],
                    default="wrk" if shutil.which("wrk") else "python",
                    help="load generator (default: wrk when installed)")
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    help="scenarios to run: baseline static index story-hot story-all api-hot "
                         "api-all user-index user-hot user-all gr-contents gr-ids")
    ap.add_argument("--target-cmd", default="serve", metavar="CMD",
                    help="'serve' (storyline serve, the default), 'standin' (a trivial app over "
                         "the same corpus, to check the harness) or a command line with {port}")
    ap.add_argument("--workers", type=int, default=None,
                    help="server processes (storyline serve --workers N; default: serve's "
                         "own default, the web_workers setting: one per core, at most 2)")
    ap.add_argument("--keep-server", action="store_true",
                    help="print the server's address and wait for Enter before stopping it "
                         "(to attach a profiler)")
    ap.add_argument("--loadgen-child", help=argparse.SUPPRESS)
    ap.add_argument("--standin-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--expect", type=int, default=200, help=argparse.SUPPRESS)
    ap.add_argument("--headers", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.loadgen_child:
        return loadgen_main(args)
    if args.standin_child:
        return standin_main(args)
    if args.quick:
        args.runs, args.seconds, args.warmup = 1, 3.0, 1.0

    from webcorpus import ensure_corpus

    t_start = time.perf_counter()
    corpus = ensure_corpus(args.stories)
    how = f"built in {corpus.seconds:.0f} s" if corpus.built else "cached"
    print(f"corpus: {corpus.stories} active stories, {corpus.articles} articles, "
          f"{corpus.path.stat().st_size / 2**20:.0f} MiB ({how}) {corpus.path}")
    import sqlite3

    with sqlite3.connect(f"file:{corpus.path}?mode=ro", uri=True) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM stories WHERE status = 'active' ORDER BY id")]
    rng = random.Random(0)
    hot = rng.sample(ids, min(HOT_SET, len(ids)))
    hot_stream = [rng.choice(hot) for _ in range(20_000)]  # uniform over the hot set
    walk = ids[:]
    rng.shuffle(walk)

    if args.target_cmd == "serve":
        ensure_users(corpus.url)
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    env = {**os.environ, "STORYLINE_DATABASE_URL": corpus.url, "STORYLINE_DATA_DIR": str(tmp),
           "STORYLINE_CONFIG": ""}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    server = start_server(args.target_cmd, port, env, log, args.workers)
    try:
        ready = wait_ready(base, server, log, timeout=120)
        baseline, static = pick_baseline(base), pick_static(base)
        procs = len(proc_tree(server.pid))
        print(f"server: {args.target_cmd} ({procs} process{'es' if procs > 1 else ''} in its tree: "
              f"the parent, its server processes and helpers) on {base}, ready in {ready:.1f} s; baseline "
              f"{baseline[0] if baseline else None} ({baseline[1] if baseline else '-'}); "
              f"load generator: {args.loadgen} ({args.connections} connections"
              f"{', 1 thread' if args.loadgen == 'wrk' else ', one asyncio process'}); "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        scenarios = []
        if baseline:
            scenarios.append(Scenario("baseline", [baseline[0]], expect=baseline[1]))
        if static:
            scenarios.append(Scenario("static", [static]))
        scenarios += [
            Scenario("index", ["/"]),
            Scenario("story-hot", [f"/stories/{i}" for i in hot_stream]),
            Scenario("story-all", [f"/stories/{i}" for i in walk]),
            Scenario("api-hot", [f"/api/stories/{i}" for i in hot_stream]),
            Scenario("api-all", [f"/api/stories/{i}" for i in walk]),
        ]
        if args.target_cmd == "serve":  # signed in, and a reading app
            cookie, gr_auth = sign_in(base)
            # user-all: the walk once per reader, each request with its reader's cookie
            # (the first reader's first pass, then the next reader's, ...).
            cookies = [sign_in(base, name)[0] for name in reader_names()]
            firsts = [f"/stories/{i}\t{c}" for c in cookies for i in walk]
            stream = "/greader/reader/api/0/stream/contents/feed%2Fstoryline%3Astories"
            scenarios += [
                Scenario("user-index", ["/"], headers=[cookie]),
                Scenario("user-hot", [f"/stories/{i}" for i in hot_stream], headers=[cookie]),
                Scenario("user-all", firsts),
                Scenario("gr-contents", [f"{stream}?n=100"], headers=[gr_auth]),
                Scenario("gr-ids", ["/greader/reader/api/0/stream/items/ids?s=feed%2F"
                                    "storyline%3Astories&n=1000&xt=user%2F-%2Fstate%2F"
                                    "com.google%2Fread"], headers=[gr_auth]),
            ]
        if args.only:
            scenarios = [s for s in scenarios if s.name in args.only]
        sample = rng.sample(ids, 30)
        for label, paths in (("/", ["/"]), ("/stories/{id}", [f"/stories/{i}" for i in sample]),
                             ("/api/stories/{id}", [f"/api/stories/{i}" for i in sample])):
            size, bad = page_sizes(base, paths)
            print(f"  {label:<18} median body {size / 1024:.1f} KiB over {len(paths)} "
                  f"page(s), {bad} not 200")
        if args.keep_server:
            input(f"server pid {server.pid} at {base}; press Enter to stop it ")
            return
        print(f"\n{'scenario':<11}{'run':>4}{'req/s':>9}{'p50':>8}{'p95':>8}{'p99':>8}"
              f"{'err':>6}{'cpu/req':>8}{'srv cpu':>8}{'gen cpu':>8}{'load':>6}")
        for sc in scenarios:
            paths_file = tmp / f"{sc.name}.paths"
            paths_file.write_text("\n".join(sc.paths))
            paths_file.with_suffix(".lua").write_text(WRK_LUA)
            headers_file = None
            if sc.headers:
                headers_file = tmp / f"{sc.name}.headers"
                headers_file.write_text("\n".join(sc.headers) + "\n")
            warm = one_run(args, port, paths_file, sc.cursor, args.warmup, server.pid, sc.expect,
                           headers_file)
            idle = idle_cpu(server.pid)
            sc.cursor += warm.requests
            for r in range(args.runs):
                run = one_run(args, port, paths_file, sc.cursor, args.seconds, server.pid,
                              sc.expect, headers_file, idle)
                sc.cursor += run.requests + args.connections
                sc.runs.append(run)
                print(f"{sc.name:<11}{r + 1:>4}{run.rps:>9.0f}{run.p50:>8.1f}{run.p95:>8.1f}"
                      f"{run.p99:>8.1f}{run.errors:>6}{run.cpu_ms:>8.2f}{run.server_cpu:>8.2f}"
                      f"{run.loadgen_cpu:>8.2f}{run.load:>6.1f}")
        for sc in scenarios:
            if sc.name == "user-all" and sc.cursor > len(sc.paths):
                print(f"\nuser-all: {sc.cursor - len(sc.paths)} of its {sc.cursor} requests "
                      "came round to stories their reader had opened (repeat visits, not "
                      "first visits): raise FIRST_VISIT_READERS")
        print(f"\nmedian of {args.runs} run(s) of {args.seconds:g} s, {args.connections} "
              f"connections (ms):")
        print(f"{'scenario':<11}{'req/s':>9}{'p50':>8}{'p95':>8}{'p99':>8}{'err':>6}"
              f"{'cpu/req':>8}{'vs baseline':>13}")
        base_rps = next((statistics.median(r.rps for r in s.runs) for s in scenarios
                         if s.name == "baseline"), None)
        for sc in scenarios:
            med = {k: statistics.median(getattr(r, k) for r in sc.runs)
                   for k in ("rps", "p50", "p95", "p99", "cpu_ms")}
            ratio = f"{med['rps'] / base_rps:.2f}x" if base_rps else "-"
            print(f"{sc.name:<11}{med['rps']:>9.0f}{med['p50']:>8.1f}{med['p95']:>8.1f}"
                  f"{med['p99']:>8.1f}{sum(r.errors for r in sc.runs):>6}{med['cpu_ms']:>8.2f}"
                  f"{ratio:>13}")
        print(f"server resident memory after the runs: {proc_rss_mib(server.pid):.0f} MiB")
        story = [s for s in scenarios if s.name.startswith("story")]
        for sc in story:
            rps = statistics.median(r.rps for r in sc.runs)
            p95 = statistics.median(r.p95 for r in sc.runs)
            ok = rps >= 500 and p95 < 50
            print(f"target (story page ≥ 500 req/s, p95 < 50 ms), {sc.name}: "
                  f"{'met' if ok else 'NOT met'} ({rps:.0f} req/s, p95 {p95:.1f} ms)")
        cpu = {sc.name: statistics.median(r.cpu_ms for r in sc.runs) for sc in scenarios
               if sc.runs}
        # Server CPU time per request (all its processes, user + system, over the run's
        # requests): what other load on the machine changes least, so the ratios hold.
        for what, anon, user in (("Top Headlines", "index", "user-index"),
                                 ("story, repeat visits", "story-hot", "user-hot"),
                                 ("story, first visits", "story-all", "user-all"),
                                 ("Stories stream/contents n=100 vs Top Headlines", "index",
                                  "gr-contents")):
            if anon in cpu and user in cpu and cpu[anon] > 0:
                ratio = cpu[user] / cpu[anon]
                story = anon.startswith("story")
                verdict = (f" (target ≤ 2x: {'met' if ratio <= 2 else 'NOT met'})" if story
                           else "")
                print(f"signed in vs anonymous, {what}: {user} / {anon} = {cpu[user]:.2f} / "
                      f"{cpu[anon]:.2f} ms CPU per request = {ratio:.2f}x{verdict}")
        print(f"total {time.perf_counter() - t_start:.0f} s")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
