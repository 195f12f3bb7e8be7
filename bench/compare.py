#!/usr/bin/python3
"""Profundo vs PyTorch on the real Fashion-MNIST, in one run.

For every (model, batch size) it alternates fresh processes of the engine
(build-dir/bench/profundo-bench) and of PyTorch (bench/torch_fashion.py) on
the same data split, spec, batch size, epochs and thread count, `--reps`
times each, and prints the medians of seconds per epoch, their ratio, the
achieved GFLOP/s against the sgemm peak measured in the same run (oneDNN's
dnnl_sgemm, and torch.mm for reference), the GEMM floor, test accuracies,
and MC dropout (100 samples x 10,000 test images) against its GEMM floor.

  bench/run.sh                      # builds, then runs this with defaults
  bench/run.sh --dtype_policies float32 mixed_bfloat16   # both Profundo policies
  /usr/bin/python3 bench/compare.py --build_dir build-bench --reps 3

Needs /usr/bin/python3 with Debian's python3-torch. Timings on a loaded
machine are noise: the load average is printed with every result.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = {
    "seed_bn_nadam": os.path.join(ROOT, "bench/specs/seed_bn_nadam.json"),
    "seed_dropout": os.path.join(ROOT, "deploy/examples/seed_dropout.json"),
}
# Issue 6 targets: Profundo seconds/epoch <= target x PyTorch's (BN model).
TARGETS = {("seed_bn_nadam", 32): 0.18, ("seed_bn_nadam", 256): 0.33}


# OMP_WAIT_POLICY for both frameworks' processes (both use libgomp); None
# leaves the environment's (libgomp's default: spin a while, then sleep).
WAIT_POLICY = None


def run_json(cmd, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    if WAIT_POLICY:
        env["OMP_WAIT_POLICY"] = WAIT_POLICY
    load = os.getloadavg()[0]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    result = json.loads(lines[-1])
    result["load_before"] = load
    result["load_after"] = os.getloadavg()[0]
    return result


# Two-CPU runs are classified by the round trip of a cache line between
# CPUs 0 and 1 just before and just after them (profundo-bench --mode
# round_trip): on the 2-vCPU VMs this project runs on, the host moves the
# vCPUs every few seconds between cores that share a cache (~55 ns) and
# cores far apart (~320 ns), and every multi-threaded step is slower far
# apart (Profundo's batch-32 step ~2x on two threads). Both ends under this
# many ns: "near"; both over: "far"; otherwise "mixed".
NEAR_NS = 150


def round_trip_ns(args):
    return run_json([os.path.join(args.build_dir, "bench/profundo-bench"),
                     "--mode", "round_trip"], 1)["round_trip_ns"]


def run_classified(cmd, args):
    if args.threads < 2:
        return run_json(cmd, args.threads)
    before = round_trip_ns(args)
    r = run_json(cmd, args.threads)
    after = round_trip_ns(args)
    r["round_trip_ns"] = [before, after]
    r["cpus"] = ("near" if max(before, after) < NEAR_NS
                 else "far" if min(before, after) >= NEAR_NS else "mixed")
    return r


def engine_cmd(args, *extra):
    return [os.path.join(args.build_dir, "bench/profundo-bench"),
            "--threads", str(args.threads), *extra]


def torch_cmd(args, *extra):
    return [sys.executable, os.path.join(HERE, "torch_fashion.py"),
            "--threads", str(args.threads), *extra]


def machine_info(args):
    info = {"python": platform.python_version(), "kernel": platform.release()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in lscpu.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU(s)", "L2 cache", "L3 cache"):
                info[key.strip()] = value.strip()
            if key.strip() == "Flags":
                flags = value.split()
                info["isa"] = " ".join(f for f in ("avx2", "avx512f", "avx512_bf16",
                                                   "avx512_vnni", "amx_tile")
                                       if f in flags)
    except OSError:
        pass
    info["engine"] = run_json(engine_cmd(args, "--mode", "info"), args.threads)
    torch_info = run_json(torch_cmd(args, "--mode", "info"), args.threads)
    torch_info.pop("config", None)
    info["pytorch"] = torch_info
    return info


def median(values):
    return statistics.median(values) if values else float("nan")


def epoch_median(runs, first=0):
    """Median seconds over the epochs from `first` on of all `runs`."""
    return median([s for r in runs for s in r["epoch_seconds"][first:]])


def target_text(row):
    return f" (<= {row['target']:.2f})" if row["target"] else ""


def measure(args):
    results = {"threads": args.threads, "epochs": args.epochs, "reps": args.reps,
               "omp_wait_policy": WAIT_POLICY or os.environ.get("OMP_WAIT_POLICY", "default"),
               "started": time.strftime("%Y-%m-%d %H:%M:%S"),
               "machine": machine_info(args), "peak": {}, "runs": []}
    sg, mm = [], []
    for _ in range(args.peak_reps):
        sg.append(run_json(engine_cmd(args, "--mode", "sgemm", "--sgemm_size",
                                      str(args.gemm_size)), args.threads))
        mm.append(run_json(torch_cmd(args, "--mode", "mm", "--mm_size",
                                     str(args.gemm_size)), args.threads))
    results["peak"] = {  # best of all calls: noise only slows a call down
        "dnnl_sgemm_gflops": max(r["sgemm_gflops"] for r in sg),
        "torch_mm_gflops": max(r["mm_gflops"] for r in mm),
        "dnnl_sgemm_cpu_gflops": median([r["sgemm_cpu_gflops"] for r in sg]),
        "torch_mm_cpu_gflops": median([r["mm_cpu_gflops"] for r in mm]),
        "size": args.gemm_size, "load": median([r["load_before"] for r in sg + mm])}
    log(f"sgemm peak ({args.gemm_size}^3, {args.threads} threads): "
        f"dnnl_sgemm {results['peak']['dnnl_sgemm_gflops']:.1f} GFLOP/s, "
        f"torch.mm {results['peak']['torch_mm_gflops']:.1f} GFLOP/s")
    for model in args.models:
        for batch in args.batch_sizes:
            common = ["--spec", MODELS[model], "--batch_size", str(batch),
                      "--epochs", str(args.epochs)]
            if args.limit:
                common += ["--limit", str(args.limit)]
            mc = (["--mc_samples", str(args.mc_samples)]
                  if model == "seed_dropout" and batch == args.batch_sizes[0]
                  and args.mc_samples else [])
            for rep in range(args.reps):
                # Profundo once per policy; PyTorch (always float32) once.
                engines = [("profundo", p) for p in args.dtype_policies]
                order = engines + [("pytorch", "float32")]
                if rep % 2:
                    order.reverse()
                # A different seed per run (weights, shuffles, masks), the
                # same for both frameworks: the accuracy spread is the noise.
                seed = ["--seed", str(args.seed + rep)]
                for fw, policy in order:
                    cmd = engine_cmd(args, *common, *mc, *seed, "--dtype_policy", policy) \
                        if fw == "profundo" else torch_cmd(args, *common, *mc, *seed)
                    r = run_classified(cmd, args)
                    r.update(model=model, framework=fw, rep=rep, dtype_policy=policy)
                    results["runs"].append(r)
                    log(f"{model} batch {batch} {fw} {policy} rep {rep}: epochs "
                        + ", ".join(f"{s:.3f}" for s in r["epoch_seconds"])
                        + f" s, test acc {r['test_accuracy']:.4f}"
                        + (f", MC {r['mc_seconds']:.2f} s" if "mc_seconds" in r else "")
                        + f" (load {r['load_before']:.2f}"
                        + (f"; CPUs {r['cpus']}, round trip {r['round_trip_ns'][0]:.0f}"
                           f"/{r['round_trip_ns'][1]:.0f} ns" if "cpus" in r else "")
                        + ")")
    return results


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def summarize(results):
    # The higher of the best call and the per-CPU-second rate: on a loaded
    # machine the wall-clock best understates the peak.
    peak = max(results["peak"]["dnnl_sgemm_gflops"],
               results["peak"]["dnnl_sgemm_cpu_gflops"])
    results["peak"]["floor_gflops"] = peak
    runs = results["runs"]
    macs = {}
    for r in runs:
        if r["framework"] == "profundo":
            g = r["gemm_macs"]
            macs[r["model"]] = (g["forward"], g["forward"] + g["backward_weights"]
                                + g["backward_data"])
    rows, mc_rows = [], []
    keys = sorted({(r["model"], r["batch_size"]) for r in runs},
                  key=lambda k: (list(MODELS).index(k[0]), k[1]))
    policies = list(dict.fromkeys(r["dtype_policy"] for r in runs
                                  if r["framework"] == "profundo"))
    for model, batch, policy in [(m, b, p) for m, b in keys for p in policies]:
        sel = {fw: [r for r in runs if r["model"] == model and r["batch_size"] == batch
                    and r["framework"] == fw
                    and (fw == "pytorch" or r["dtype_policy"] == policy)]
               for fw in ("profundo", "pytorch")}
        sec = {fw: epoch_median(rs) for fw, rs in sel.items()}
        # Without each process's first epoch, which carries its one-time
        # costs (oneDNN's f32 GEMM kernel generation, ~22 ms; primitive
        # creation; cold caches): the steady throughput.
        later = {fw: epoch_median(rs, first=1) for fw, rs in sel.items()}
        by_cpus = {}
        for cpus in ("near", "far"):
            part = {fw: [r for r in rs if r.get("cpus") == cpus]
                    for fw, rs in sel.items()}
            if part["profundo"] and part["pytorch"]:
                ps, ts = (epoch_median(part[fw]) for fw in ("profundo", "pytorch"))
                by_cpus[cpus] = {"profundo_s": ps, "pytorch_s": ts, "ratio": ps / ts,
                                 "runs": (len(part["profundo"]), len(part["pytorch"]))}
        cpu = {fw: median([r["fit_cpu_seconds"] / len(r["epoch_seconds"]) for r in rs])
               for fw, rs in sel.items()}
        acc = {fw: median([r["test_accuracy"] for r in rs]) for fw, rs in sel.items()}
        spread = {fw: (min(r["test_accuracy"] for r in rs), max(r["test_accuracy"] for r in rs))
                  for fw, rs in sel.items()}
        n = sel["profundo"][0]["train_samples"]
        fwd, train_macs = macs[model]
        flops = 2.0 * train_macs * n
        floor = flops / (peak * 1e9)
        load = median([r["load_before"] for rs in sel.values() for r in rs])
        rows.append({"model": model, "batch": batch, "policy": policy,
                     "profundo_s": sec["profundo"],
                     "pytorch_s": sec["pytorch"], "ratio": sec["profundo"] / sec["pytorch"],
                     "profundo_cpu_s": cpu["profundo"], "pytorch_cpu_s": cpu["pytorch"],
                     "cpu_ratio": cpu["profundo"] / cpu["pytorch"],
                     "target": TARGETS.get((model, batch)),
                     "profundo_gflops": flops / sec["profundo"] / 1e9,
                     "pytorch_gflops": flops / sec["pytorch"] / 1e9,
                     "floor_s": floor, "x_floor": sec["profundo"] / floor,
                     "profundo_later_s": later["profundo"],
                     "pytorch_later_s": later["pytorch"],
                     "later_ratio": later["profundo"] / later["pytorch"],
                     "x_floor_later": later["profundo"] / floor,
                     "x_floor_cpu": cpu["profundo"] / floor,
                     "profundo_acc": acc["profundo"], "pytorch_acc": acc["pytorch"],
                     "profundo_acc_range": spread["profundo"],
                     "pytorch_acc_range": spread["pytorch"],
                     "macs_per_sample": train_macs, "load": load,
                     "by_cpus": by_cpus})
        mc = {fw: [r for r in rs if "mc_seconds" in r] for fw, rs in sel.items()}
        if mc["profundo"]:
            s = mc["profundo"][0]
            mc_floor = 2.0 * fwd * s["mc_samples"] * 10000 / (peak * 1e9)
            mc_rows.append({
                "model": model, "policy": policy, "samples": s["mc_samples"],
                "profundo_s": median([r["mc_seconds"] for r in mc["profundo"]]),
                "pytorch_s": median([r["mc_seconds"] for r in mc["pytorch"]]),
                "floor_s": mc_floor,
                "profundo_acc": median([r["mc_accuracy"] for r in mc["profundo"]]),
                "pytorch_acc": median([r["mc_accuracy"] for r in mc["pytorch"]])})
            mc_rows[-1]["x_floor"] = mc_rows[-1]["profundo_s"] / mc_floor
            mc_rows[-1]["profundo_cpu_s"] = median([r["mc_cpu_seconds"] for r in mc["profundo"]])
            mc_rows[-1]["pytorch_cpu_s"] = median([r["mc_cpu_seconds"] for r in mc["pytorch"]])
    return rows, mc_rows


def print_report(results, rows, mc_rows):
    m = results["machine"]
    eng, pt = m["engine"], m["pytorch"]
    print(f"Machine: {m.get('Model name', '?')}, {m.get('CPU(s)', '?')} CPUs "
          f"({m.get('isa', '')}), L2 {m.get('L2 cache', '?')}, L3 {m.get('L3 cache', '?')}, "
          f"Linux {m['kernel']}")
    print(f"Profundo: oneDNN {eng['onednn']} (cpu isa id {eng['onednn_isa']}), "
          f"{eng['compiler']}; PyTorch {pt['torch']} (BLAS: "
          f"{pt['blas'].get('openblas') or pt['blas'].get('libblas')}; "
          f"core {pt['blas'].get('openblas_core', '?')}), numpy {pt['numpy']}, "
          f"Python {m['python']}")
    p = results["peak"]
    print(f"Threads: {results['threads']} (OMP_NUM_THREADS and torch.set_num_threads; "
          f"OMP_WAIT_POLICY {results['omp_wait_policy']}); "
          f"epochs per run: {results['epochs']}; runs per framework: {results['reps']}, "
          f"alternating; medians over all epochs of all runs")
    print(f"GEMM floor: work / {p['floor_gflops']:.1f} GFLOP/s (the higher of the two "
          f"sgemm figures below)")
    print(f"sgemm peak ({p['size']}^3, best call): dnnl_sgemm {p['dnnl_sgemm_gflops']:.1f} "
          f"GFLOP/s, torch.mm {p['torch_mm_gflops']:.1f} GFLOP/s; per CPU-second x threads: "
          f"{p['dnnl_sgemm_cpu_gflops']:.1f} / {p['torch_mm_cpu_gflops']:.1f} "
          f"(load {p['load']:.2f})")
    print()
    print("| model | batch | Profundo policy | Profundo s/epoch | PyTorch s/epoch | ratio (target) "
          "| Profundo GFLOP/s (% peak) | PyTorch GFLOP/s | x GEMM floor (CPU) "
          "| test acc Profundo / PyTorch | CPU s/epoch Profundo / PyTorch (ratio) | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['batch']} | {r['policy']} | {r['profundo_s']:.3f} | {r['pytorch_s']:.3f} "
              f"| {r['ratio']:.3f}{target_text(r)} "
              f"| {r['profundo_gflops']:.1f} ({100 * r['profundo_gflops'] / p['dnnl_sgemm_gflops']:.0f}%) "
              f"| {r['pytorch_gflops']:.1f} | {r['x_floor']:.2f} ({r['x_floor_cpu']:.2f}; floor {r['floor_s']:.3f} s) "
              f"| {r['profundo_acc']:.4f} / {r['pytorch_acc']:.4f} "
              f"| {r['profundo_cpu_s']:.3f} / {r['pytorch_cpu_s']:.3f} ({r['cpu_ratio']:.3f}) "
              f"| {r['load']:.2f} |")
    if results["epochs"] > 1:
        print()
        print("The same without each run's first epoch (its one-time costs: oneDNN's "
              "f32 GEMM kernel generation, ~22 ms, primitive creation, cold caches):")
        print()
        print("| model | batch | Profundo policy | Profundo s/epoch | PyTorch s/epoch "
              "| ratio (target) | x GEMM floor |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['model']} | {r['batch']} | {r['policy']} "
                  f"| {r['profundo_later_s']:.3f} | {r['pytorch_later_s']:.3f} "
                  f"| {r['later_ratio']:.3f}{target_text(r)} | {r['x_floor_later']:.2f} |")
    split = [(r, c, v) for r in rows for c, v in r["by_cpus"].items()]
    if split:
        print()
        print(f"The same, by where the host had put the two vCPUs during the run (a "
              f"cache line's round trip between them before and after: near < "
              f"{NEAR_NS} ns <= far; runs that changed are left out):")
        print()
        print("| model | batch | Profundo policy | CPUs | runs Profundo / PyTorch "
              "| Profundo s/epoch | PyTorch s/epoch | ratio (target) |")
        print("|---|---|---|---|---|---|---|---|")
        for r, cpus, v in split:
            print(f"| {r['model']} | {r['batch']} | {r['policy']} | {cpus} "
                  f"| {v['runs'][0]} / {v['runs'][1]} | {v['profundo_s']:.3f} "
                  f"| {v['pytorch_s']:.3f} | {v['ratio']:.3f}{target_text(r)} |")
    print()
    print("s/epoch: wall-clock training seconds per epoch (median over all epochs of "
          "all runs). CPU s/epoch: process CPU time of the fit / epochs (all threads, "
          "spin-waiting included); with 1 thread it is the load-independent cost.")
    print("GEMM floor and % peak are against the f32 sgemm peak for every policy "
          "(PyTorch always runs float32; mixed_bfloat16 is Profundo's opt-in "
          "bf16 inner products).")
    print("Test accuracy after the epochs, min-max over the runs' seeds: " + "; ".join(
        f"{r['model']}/{r['batch']}/{r['policy']} Profundo {r['profundo_acc_range'][0]:.4f}-"
        f"{r['profundo_acc_range'][1]:.4f}, PyTorch {r['pytorch_acc_range'][0]:.4f}-"
        f"{r['pytorch_acc_range'][1]:.4f}" for r in rows))
    macs = {r["model"]: r["macs_per_sample"] for r in rows}
    print("GEMM work per training sample (multiply-adds: forward + backward weights + "
          "needed backward data): "
          + ", ".join(f"{k} {v:,}" for k, v in macs.items()))
    for r in mc_rows:
        print(f"MC dropout {r['samples']} x 10,000 ({r['model']}, {r['policy']}): "
              f"Profundo {r['profundo_s']:.3f} s "
              f"({r['x_floor']:.2f} x GEMM floor {r['floor_s']:.3f} s), PyTorch "
              f"{r['pytorch_s']:.3f} s; CPU s {r['profundo_cpu_s']:.3f} / {r['pytorch_cpu_s']:.3f} "
              f"({r['profundo_cpu_s'] / r['floor_s']:.2f} x floor); accuracy of the mean "
              f"{r['profundo_acc']:.4f} / {r['pytorch_acc']:.4f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build_dir", default=os.path.join(ROOT, "build-bench"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--batch_sizes", nargs="+", type=int, default=[32, 256])
    p.add_argument("--mc_samples", type=int, default=100)
    p.add_argument("--limit", type=int, default=0, help="training images (0: 55,000)")
    p.add_argument("--gemm_size", type=int, default=1024)
    p.add_argument("--seed", type=int, default=42, help="run r uses seed + r")
    p.add_argument("--dtype_policies", nargs="+", default=["float32"],
                   choices=["float32", "mixed_bfloat16"],
                   help="Profundo's mixed-precision policies, each run against the "
                        "same float32 PyTorch runs")
    p.add_argument("--peak_reps", type=int, default=3)
    p.add_argument("--json", help="also write all raw results here")
    p.add_argument("--omp_wait_policy", choices=["passive", "active"],
                   help="OMP_WAIT_POLICY for both frameworks (passive: waiting "
                        "threads sleep at once; on a loaded machine it avoids "
                        "spinning on a descheduled partner thread)")
    args = p.parse_args()
    global WAIT_POLICY
    WAIT_POLICY = args.omp_wait_policy
    results = measure(args)
    rows, mc_rows = summarize(results)
    results["summary"], results["mc_summary"] = rows, mc_rows
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print_report(results, rows, mc_rows)


if __name__ == "__main__":
    main()
