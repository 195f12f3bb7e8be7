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

  bench/load.sh                                   # builds, then runs this
  /usr/bin/python3 bench/load.py --build_dir build/release --rounds 3
"""
import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FASHION = "/usr/share/datasets/fashion-mnist"
RPS_TARGET = 0.70   # Predict rps >= 0.70 x echo's
P99_TARGET = 1.5    # Predict p99 <= 1.5 x echo's


def log(msg):
    print(msg, file=sys.stderr, flush=True)


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


class Run:
    """The processes of one run; stop() ends them (also on errors)."""

    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="profundo-load.")
        self.port = free_port()
        self.procs = []

    def bin(self, path):
        return os.path.join(self.args.build_dir, path)

    def cli(self, *argv, json_out=True):
        cmd = [self.bin("client/profundo"), f"--server=127.0.0.1:{self.port}"]
        if json_out:
            cmd.append("--json")
        out = subprocess.run(cmd + list(argv), check=True, capture_output=True,
                             text=True).stdout
        return out

    def start_server(self):
        log_file = open(os.path.join(self.dir, "server.log"), "w")
        cmd = [self.bin("server/profundo-server"),
               f"--listen=127.0.0.1:{self.port}",
               f"--data_dir={self.dir}/data", "--workers=1",
               *self.args.server_flag]
        log(f"server: {' '.join(cmd)}")
        self.procs.append(subprocess.Popen(cmd, stdout=log_file, stderr=log_file))
        for _ in range(100):
            if subprocess.run([self.bin("client/profundo"),
                               f"--server=127.0.0.1:{self.port}", "--timeout=1s",
                               "ping"], capture_output=True).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("profundo-server did not become healthy; see "
                           + os.path.join(self.dir, "server.log"))

    def start_echo(self):
        proc = subprocess.Popen([self.bin("bench/profundo-echo-server"),
                                 "--listen=127.0.0.1:0"],
                                stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        line = proc.stderr.readline()
        m = re.search(r"port (\d+)", line)
        if not m:
            raise RuntimeError(f"profundo-echo-server: {line}")
        return int(m.group(1))

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
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


def load(run, target, port, model_id, clients, seconds):
    cmd = [run.bin("bench/profundo-load"), f"--server=127.0.0.1:{port}",
           f"--target={target}", f"--model_id={model_id}", f"--clients={clients}",
           f"--channels={min(run.args.channels, clients)}",
           f"--seconds={seconds}", f"--warmup_seconds={run.args.warmup_seconds}",
           "--json"]
    load_before = os.getloadavg()[0]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    result["load_before"] = load_before
    result["load_after"] = os.getloadavg()[0]
    log(f"  {target:8s} {clients:3d} clients {result['rps']:8.0f}/s "
        f"p50 {result['p50_ms']:.2f} p99 {result['p99_ms']:.2f} ms "
        f"errors {int(result['error_count'])} (load {load_before:.2f})")
    return result


def measure(args):
    run = Run(args)
    results = {"machine": machine(), "uptime_before": uptime(), "rounds": [],
               "long": None, "server_flags": args.server_flag}
    try:
        run.start_server()
        model_id, job_id = prepare(run)
        echo_port = run.start_echo()
        for r in range(args.rounds):
            # Alternate who goes first so a drift in load hits both alike.
            order = ["echo", "profundo"] if r % 2 == 0 else ["profundo", "echo"]
            for target in order:
                port = echo_port if target == "echo" else run.port
                results["rounds"].append(
                    load(run, target, port, model_id, args.clients, args.seconds))
        if args.long_seconds > 0:
            results["long"] = load(run, "profundo", run.port, model_id, 50,
                                   args.long_seconds)
        job = json.loads(run.cli("job", job_id))
        results["training_job"] = {"state": job["state"],
                                   "epochs_completed": job.get("epochs_completed", 0)}
        results["uptime_after"] = uptime()
        run.cli("cancel", job_id)
    finally:
        run.stop()
    return results


def summarize(results):
    by = {"echo": [], "profundo": []}
    for r in results["rounds"]:
        by[r["target"]].append(r)
    med = {t: {k: statistics.median(x[k] for x in rs) for k in
               ("rps", "p50_ms", "p99_ms")} for t, rs in by.items() if rs}
    med_errors = {t: sum(int(x["error_count"]) for x in rs) for t, rs in by.items()}
    ratios = {}
    if "echo" in med and "profundo" in med:
        ratios["rps"] = med["profundo"]["rps"] / med["echo"]["rps"]
        ratios["p99"] = med["profundo"]["p99_ms"] / med["echo"]["p99_ms"]
    return med, med_errors, ratios


def print_report(results):
    med, errors, ratios = summarize(results)
    print(f"machine: {results['machine']}")
    print(f"before:  {results['uptime_before']}")
    print(f"after:   {results['uptime_after']}")
    print(f"server flags: {' '.join(results['server_flags']) or '(defaults)'}; "
          f"training job during the run: {results['training_job']['state']}, "
          f"{results['training_job']['epochs_completed']} epochs done")
    print()
    print("| round | target | clients | rps | p50 ms | p99 ms | errors | load |")
    print("|---|---|---|---|---|---|---|---|")
    for i, r in enumerate(results["rounds"]):
        print(f"| {i // 2 + 1} | {r['target']} | {r['clients']} | {r['rps']:.0f} | "
              f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {int(r['error_count'])} | "
              f"{r['load_before']:.1f} |")
    for t in ("echo", "profundo"):
        if t in med:
            print(f"| median | {t} | | {med[t]['rps']:.0f} | {med[t]['p50_ms']:.2f} | "
                  f"{med[t]['p99_ms']:.2f} | {errors[t]} | |")
    if results["long"]:
        r = results["long"]
        print(f"| long {r['seconds']:.0f} s | profundo | {r['clients']} | {r['rps']:.0f} | "
              f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {int(r['error_count'])} | "
              f"{r['load_before']:.1f} |")
    print()
    if ratios:
        ok_rps = "met" if ratios["rps"] >= RPS_TARGET else "NOT met"
        ok_p99 = "met" if ratios["p99"] <= P99_TARGET else "NOT met"
        print(f"Predict/echo rps: {ratios['rps']:.2f} (target >= {RPS_TARGET:.2f}: {ok_rps})")
        print(f"Predict/echo p99: {ratios['p99']:.2f}x (target <= {P99_TARGET}x: {ok_p99})")
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
                   help="the final 50-client Predict round; 0 skips it")
    p.add_argument("--server_flag", action="append", default=[],
                   help="extra profundo-server flag, e.g. --server_flag=--predict_threads=2")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args()
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
