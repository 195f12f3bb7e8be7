#!/usr/bin/python3
"""Predict RPC under load vs a bare gRPC echo, in one run (issues 5 and 6).

Starts profundo-server on a temp data dir and loopback, uploads the real
Fashion-MNIST training set, trains the seed's dropout model for one epoch to
READY, then submits a long training job (the seed's BN model, many epochs)
that keeps the training worker busy during every measurement. Starts the
bench echo (profundo-echo-server: the same PredictRequest in, a prepared
PredictResponse of one image's size out) on loopback too, then alternates
profundo-load rounds against the echo and against Predict (one test image
per request, --clients closed-loop clients), and ends with one long Predict
round (50 clients, 60 s, 0 errors expected). Prints a table and the ratios
Predict/echo of the medians against the targets: rps >= 0.70 x echo's, p99
<= 1.5 x echo's. The machine and its load average are printed too: on a
shared machine only same-run ratios mean anything.

The training job's speed during each round (batches per second from its
BatchProgress events, and seconds per epoch) is printed too: it shows what
serving costs the training job and what a server setting costs training.
So is where the CPU went in each round's measured window (per-thread times
from /proc): microseconds of CPU per request in the server that answered
(for Predict, profundo-server's threads but its training threads) and in
the load generator, and the cores the training threads used. On this
shared 2-vCPU VM the rps of a round moves with the host; the CPU per
request shows what the server itself costs.

--variant compares server settings side by side in one run: each variant
(a label, then server flags "--x=y", environment variables "K=V" and
optionally another profundo-server binary, a path starting with / or ./) is a
restart of profundo-server on the same data dir (the long job resumes), and
every round measures each variant (rotating order) and the echo while that
variant's server trains (its training job loads the machine too); each
variant's ratios are to its own echo rounds:

  bench/load.sh --variant default: --variant passive:OMP_WAIT_POLICY=passive

  bench/load.sh                                   # builds, then runs this
  /usr/bin/python3 bench/load.py --build_dir build/release --rounds 3
"""
import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FASHION = "/usr/share/datasets/fashion-mnist"
RPS_TARGET = 0.70   # Predict rps >= 0.70 x echo's
P99_TARGET = 1.5    # Predict p99 <= 1.5 x echo's


def log(msg):
    print(msg, file=sys.stderr, flush=True)


TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid):
    """CPU seconds (user + system) of each of a process's threads, keyed by
    thread name with its index cut (train-0 -> train-); {} once it ended."""
    cpu = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return cpu
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # the thread ended
        name = re.sub(r"\d+$", "", stat[stat.index("(") + 1:stat.rindex(")")])
        fields = stat[stat.rindex(")") + 2:].split()
        cpu[name] = cpu.get(name, 0) + (int(fields[11]) + int(fields[12])) / TICK
    return cpu


def cpu_delta(before, after, keep=lambda name: True):
    return sum(v - before.get(k, 0) for k, v in after.items() if keep(k))


def is_training_thread(name):
    return name.startswith("train-")  # the WorkerPool's, with their OpenMP team


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def machine():
    model = platform.processor()
    try:
        for line in subprocess.run(["lscpu"], capture_output=True,
                                   text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, kernel {platform.release()}"


class Variant:
    """One server setting: a label, extra server flags, environment."""

    def __init__(self, spec):
        label, _, rest = spec.partition(":")
        if not label or label == "echo":
            raise ValueError(f"--variant {spec!r}: needs a label other than echo")
        self.label, self.flags, self.env, self.binary = label, [], {}, None
        for token in rest.split():
            if token.startswith(("/", "./")):
                self.binary = token
            elif token.startswith("--"):
                self.flags.append(token)
            elif "=" in token:
                key, value = token.split("=", 1)
                self.env[key] = value
            else:
                raise ValueError(f"--variant {spec!r}: {token!r} is neither "
                                 "--flag=value, NAME=value nor a binary's path")

    def describe(self):
        parts = [f"{k}={v}" for k, v in self.env.items()] + self.flags
        if self.binary:
            parts.append(self.binary)
        return " ".join(parts) or "(defaults)"


class TrainingWatch:
    """Follows a job's events (profundo watch) and keeps its BatchProgress
    as (time, global batch, batches per epoch); restarted with the server."""

    def __init__(self, run, job_id):
        self.run, self.job_id = run, job_id
        self.points = []
        self.lock = threading.Lock()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [self.run.bin("client/profundo"), f"--server=127.0.0.1:{self.run.port}",
             "--json", "--timeout=24h", "watch", self.job_id],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()

    def _read(self, proc):
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            progress = event.get("batch_progress")
            if not progress:
                continue
            t = datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()
            batches = int(progress["batches"])
            point = (t, int(progress["epoch"]) * batches + int(progress["batch"]), batches)
            with self.lock:
                self.points.append(point)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()

    def seen_after(self, t):
        with self.lock:
            return any(p[0] > t for p in self.points)

    def rate(self, t0, t1):
        """(batches per second, batches per epoch) in [t0, t1]; a restart
        (the count going back) is left out. None without two events."""
        with self.lock:
            points = [p for p in self.points if t0 <= p[0] <= t1]
        done = seconds = 0.0
        for a, b in zip(points, points[1:]):
            if b[1] > a[1]:
                done += b[1] - a[1]
                seconds += b[0] - a[0]
        if seconds <= 0:
            return None
        return done / seconds, points[-1][2]


class Run:
    """The processes of one run; stop() ends them (also on errors)."""

    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="profundo-load.")
        self.port = free_port()
        self.procs = []
        self.server = None
        self.echo = None
        self.variant = None
        self.watch = None

    def bin(self, path):
        return os.path.join(self.args.build_dir, path)

    def cli(self, *argv, json_out=True):
        cmd = [self.bin("client/profundo"), f"--server=127.0.0.1:{self.port}"]
        if json_out:
            cmd.append("--json")
        out = subprocess.run(cmd + list(argv), check=True, capture_output=True,
                             text=True).stdout
        return out

    def start_server(self, variant):
        log_file = open(os.path.join(self.dir, "server.log"), "a")
        cmd = [variant.binary or self.bin("server/profundo-server"),
               f"--listen=127.0.0.1:{self.port}",
               f"--data_dir={self.dir}/data", "--workers=1",
               *self.args.server_flag, *variant.flags]
        env = dict(os.environ, **variant.env)
        log(f"server ({variant.label}): "
            f"{' '.join(f'{k}={v}' for k, v in variant.env.items())} {' '.join(cmd)}")
        self.server = subprocess.Popen(cmd, stdout=log_file, stderr=log_file, env=env)
        self.procs.append(self.server)
        self.variant = variant
        for _ in range(100):
            if subprocess.run([self.bin("client/profundo"),
                               f"--server=127.0.0.1:{self.port}", "--timeout=1s",
                               "ping"], capture_output=True).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("profundo-server did not become healthy; see "
                           + os.path.join(self.dir, "server.log"))

    def switch_server(self, variant, job_id):
        """Restarts the server with `variant` unless it runs it already;
        returns once the long job trains again."""
        if self.variant is variant:
            return
        self.watch.stop()
        self.server.send_signal(signal.SIGTERM)
        self.server.wait(timeout=60)
        self.procs.remove(self.server)
        self.start_server(variant)
        restarted = time.time()
        self.watch.start()
        for _ in range(600):
            if self.watch.seen_after(restarted):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the long job {job_id} did not resume training")

    def start_echo(self):
        proc = subprocess.Popen([self.bin("bench/profundo-echo-server"),
                                 "--listen=127.0.0.1:0"],
                                stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        self.echo = proc
        line = proc.stderr.readline()
        m = re.search(r"port (\d+)", line)
        if not m:
            raise RuntimeError(f"profundo-echo-server: {line}")
        return int(m.group(1))

    def stop(self):
        if self.watch is not None:
            self.watch.stop()
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
        if self.args.keep_dir:
            log(f"kept {self.dir} (server.log, the data dir)")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def prepare(run):
    """Uploads Fashion-MNIST, trains the model to predict with, starts the
    long training job; returns (model_id, long job id)."""
    ds = json.loads(run.cli("upload", "--name", "fashion-mnist-train",
                            "--images", f"{FASHION}/train-images-idx3-ubyte.gz",
                            "--labels", f"{FASHION}/train-labels-idx1-ubyte.gz"))
    config = os.path.join(run.dir, "one_epoch.json")
    with open(config, "w") as f:
        json.dump({"epochs": 1, "batch_size": 32, "validation_split": 0.0833333333,
                   "seed": 42}, f)
    log("training the seed's dropout model for 1 epoch ...")
    lines = run.cli("submit", os.path.join(ROOT, "deploy/examples/seed_dropout.json"),
                    "--dataset", ds["id"], "--config", config, "--watch").splitlines()
    job = json.loads(lines[-1])
    if job.get("state") != "JOB_STATE_SUCCEEDED":
        raise RuntimeError(f"training failed: {lines[-1]}")
    long_config = os.path.join(run.dir, "long.json")
    with open(long_config, "w") as f:
        json.dump({"epochs": 10000, "batch_size": 32, "seed": 1}, f)
    long_job = json.loads(run.cli("submit", os.path.join(ROOT, "deploy/examples/seed_bn.json"),
                                  "--dataset", ds["id"], "--config", long_config))
    for _ in range(100):
        if json.loads(run.cli("job", long_job["id"]))["state"] == "JOB_STATE_RUNNING":
            return job["model_id"], long_job["id"]
        time.sleep(0.1)
    raise RuntimeError("the long training job did not start")


def load(run, target, port, model_id, clients, seconds, label=None):
    cmd = [run.bin("bench/profundo-load"), f"--server=127.0.0.1:{port}",
           f"--target={target}", f"--model_id={model_id}", f"--clients={clients}",
           f"--channels={min(run.args.channels, clients)}",
           f"--seconds={seconds}", f"--warmup_seconds={run.args.warmup_seconds}",
           "--json"]
    load_before = os.getloadavg()[0]
    t0 = time.time() + run.args.warmup_seconds
    server = run.server if target == "profundo" else run.echo
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    # CPU at the start of the measured window (after the warm-up) ...
    time.sleep(max(0.0, t0 - time.time()))
    trainer0, server0 = thread_cpu(run.server.pid), thread_cpu(server.pid)
    client0 = cpu_delta({}, thread_cpu(proc.pid))
    out, err = proc.communicate()
    # ... and at its end (the load generator's from its rusage once reaped).
    trainer1, server1 = thread_cpu(run.server.pid), thread_cpu(server.pid)
    window = time.time() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd, out, err)
    result = json.loads(out)
    requests = result["rps"] * result["seconds"]
    if requests > 0:
        client = (after.ru_utime + after.ru_stime - children.ru_utime
                  - children.ru_stime - client0)
        result["server_us"] = 1e6 * cpu_delta(
            server0, server1, lambda n: not is_training_thread(n)) / requests
        result["client_us"] = 1e6 * client / requests
        result["train_cores"] = cpu_delta(trainer0, trainer1,
                                          is_training_thread) / window
    result["label"] = label or target
    result["load_before"] = load_before
    result["load_after"] = os.getloadavg()[0]
    training = run.watch.rate(t0, time.time()) if run.watch else None
    result["train_batches_per_s"] = training[0] if training else None
    result["train_s_per_epoch"] = training[1] / training[0] if training else None
    train = (f", training {result['train_s_per_epoch']:.1f} s/epoch"
             if training else "")
    cpu = (f"; CPU us/request: server {result['server_us']:.1f}, client "
           f"{result['client_us']:.1f}" if "server_us" in result else "")
    log(f"  {result['label']:10s} {clients:3d} clients {result['rps']:8.0f}/s "
        f"p50 {result['p50_ms']:.2f} p99 {result['p99_ms']:.2f} ms "
        f"errors {int(result['error_count'])} (load {load_before:.2f}{train}{cpu})")
    return result


def measure(args):
    run = Run(args)
    variants = args.variants
    results = {"machine": machine(), "uptime_before": uptime(), "rounds": [],
               "long": None, "server_flags": args.server_flag,
               "variants": {v.label: v.describe() for v in variants}}
    try:
        run.start_server(variants[0])
        model_id, job_id = prepare(run)
        run.watch = TrainingWatch(run, job_id)
        run.watch.start()
        echo_port = run.start_echo()
        for r in range(args.rounds):
            # Rotate the variants and alternate echo and Predict so a drift
            # in load hits all alike. The echo runs while the variant's
            # server trains: its training job loads the machine too.
            shift = r % len(variants)
            for i, v in enumerate(variants[shift:] + variants[:shift]):
                run.switch_server(v, job_id)
                echo_label = "echo" if len(variants) == 1 else f"echo@{v.label}"
                pair = ["echo", "profundo"]
                if (r + i) % 2:
                    pair.reverse()
                for target in pair:
                    if target == "echo":
                        results["rounds"].append(
                            load(run, "echo", echo_port, model_id, args.clients,
                                 args.seconds, echo_label))
                    else:
                        results["rounds"].append(
                            load(run, "profundo", run.port, model_id,
                                 args.clients, args.seconds, v.label))
        if args.long_seconds > 0:
            run.switch_server(variants[0], job_id)
            results["long"] = load(run, "profundo", run.port, model_id, 50,
                                   args.long_seconds, variants[0].label)
        job = json.loads(run.cli("job", job_id))
        results["training_job"] = {"state": job["state"],
                                   "epochs_completed": job.get("epochs_completed", 0)}
        results["uptime_after"] = uptime()
        run.cli("cancel", job_id)
    finally:
        run.stop()
    return results


def summarize(results):
    """Medians per label, errors per label, and each variant's ratios to
    the medians of the echo measured while it ran."""
    by = {}
    for r in results["rounds"]:
        by.setdefault(r.get("label", r["target"]), []).append(r)
    med = {}
    for label, rs in by.items():
        med[label] = {k: statistics.median(x[k] for x in rs) for k in
                      ("rps", "p50_ms", "p99_ms")}
        # Measured in some rounds only (training speed, CPU per request).
        for k in ("train_s_per_epoch", "server_us", "client_us", "train_cores"):
            values = [x[k] for x in rs if x.get(k) is not None]
            med[label][k] = statistics.median(values) if values else None
    errors = {t: sum(int(x["error_count"]) for x in rs) for t, rs in by.items()}
    ratios = {}
    for label in med:
        echo = "echo" if "echo" in med else f"echo@{label}"
        if not label.startswith("echo") and echo in med:
            ratios[label] = {"rps": med[label]["rps"] / med[echo]["rps"],
                             "p99": med[label]["p99_ms"] / med[echo]["p99_ms"],
                             "echo": echo}
    return med, errors, ratios


def print_report(results):
    med, errors, ratios = summarize(results)
    print(f"machine: {results['machine']}")
    print(f"before:  {results['uptime_before']}")
    print(f"after:   {results['uptime_after']}")
    print(f"server flags: {' '.join(results['server_flags']) or '(defaults)'}; "
          f"training job during the run: {results['training_job']['state']}, "
          f"{results['training_job']['epochs_completed']} epochs done")
    for label, what in results["variants"].items():
        print(f"variant {label}: {what}")
    print()

    def num(value, digits=1):
        return f"{value:.{digits}f}" if value else "-"

    def cpu(r):
        return (f"{num(r.get('server_us'))} | {num(r.get('client_us'))} | "
                f"{num(r.get('train_cores'), 2)} |")

    print("| round | target | clients | rps | p50 ms | p99 ms | errors | load "
          "| training s/epoch | server CPU us/req | client CPU us/req "
          "| training cores |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    n = 2 * len(results["variants"])
    for i, r in enumerate(results["rounds"]):
        print(f"| {i // n + 1} | {r.get('label', r['target'])} | {r['clients']} | "
              f"{r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
              f"{int(r['error_count'])} | {r['load_before']:.1f} | "
              f"{num(r.get('train_s_per_epoch'))} | {cpu(r)}")
    for label, m in med.items():
        print(f"| median | {label} | | {m['rps']:.0f} | {m['p50_ms']:.2f} | "
              f"{m['p99_ms']:.2f} | {errors[label]} | | "
              f"{num(m['train_s_per_epoch'])} | {cpu(m)}")
    if results["long"]:
        r = results["long"]
        print(f"| long {r['seconds']:.0f} s | {r.get('label', r['target'])} | "
              f"{r['clients']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
              f"{r['p99_ms']:.2f} | {int(r['error_count'])} | "
              f"{r['load_before']:.1f} | {num(r.get('train_s_per_epoch'))} | "
              f"{cpu(r)}")
    print()
    for label, ratio in ratios.items():
        ok_rps = "met" if ratio["rps"] >= RPS_TARGET else "NOT met"
        ok_p99 = "met" if ratio["p99"] <= P99_TARGET else "NOT met"
        name = "Predict" if len(ratios) == 1 else f"Predict ({label})"
        print(f"{name}/echo rps: {ratio['rps']:.2f} (target >= {RPS_TARGET:.2f}: {ok_rps})")
        print(f"{name}/echo p99: {ratio['p99']:.2f}x (target <= {P99_TARGET}x: {ok_p99})")
        echo = med[ratio["echo"]]
        if med[label]["server_us"] and echo["server_us"]:
            print(f"{name}/echo server CPU per request: "
                  f"{med[label]['server_us']:.1f} / {echo['server_us']:.1f} us; "
                  f"client CPU per request: {med[label]['client_us']:.1f} / "
                  f"{echo['client_us']:.1f} us")
    if results["long"]:
        n = int(results["long"]["error_count"])
        print(f"long round: {n} errors (target 0: {'met' if n == 0 else 'NOT met'})")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build_dir", default=os.path.join(ROOT, "build/release"))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--warmup_seconds", type=float, default=2)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--channels", type=int, default=1,
                   help="profundo-load --channels (capped at --clients)")
    p.add_argument("--long_seconds", type=float, default=60,
                   help="the final 50-client Predict round (first variant); 0 skips it")
    p.add_argument("--server_flag", action="append", default=[],
                   help="extra profundo-server flag, e.g. --server_flag=--predict_threads=2")
    p.add_argument("--variant", action="append", default=[],
                   help="LABEL:[--flag=value ...] [NAME=value ...] [/path/to/profundo-server]: a server "
                        "setting to compare (repeat); default one, 'profundo:'")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--keep_dir", action="store_true",
                   help="keep the temp dir (server.log, data) for a look")
    args = p.parse_args()
    try:
        args.variants = [Variant(v) for v in args.variant or ["profundo:"]]
    except ValueError as e:
        p.error(str(e))
    if len({v.label for v in args.variants}) != len(args.variants):
        p.error("--variant labels must differ")
    # SIGTERM unwinds like an error, so the servers are stopped and the temp
    # dir removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = measure(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print_report(results)


if __name__ == "__main__":
    main()
