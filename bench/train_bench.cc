// profundo-bench: the engine's side of bench/compare.py. One JSON object on
// stdout per run.
//
//   profundo-bench --mode info      {"onednn": "2.6.3", ...}
//   profundo-bench --mode sgemm --threads 2
//       {"sgemm_gflops": ..., "sgemm_cpu_gflops": ..., "size": 1024, ...}
//   profundo-bench --mode train --spec bench/specs/seed_bn_nadam.json
//       --batch_size 32 --epochs 2 --threads 2 [--mc_samples 100]
//       [--dtype_policy mixed_bfloat16]
//       {"epoch_seconds": [...], "test_accuracy": ..., "gemm_macs": {...},
//        "mc_seconds": ..., ...}
//   profundo-bench --mode round_trip   {"round_trip_ns": 55}
//   profundo-bench --mode train ... --step_times   (and where the steps'
//       time goes: per epoch, us per step by phase and by layer, on stderr
//       and as "step_times_us")
//
// Training data is the seed's split of the real Fashion-MNIST (55,000 images
// / 255, the first 5,000 held out as in the seed), no validation pass, so an
// epoch's seconds are the training steps only (Model's History::seconds).
#include <omp.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/bench_util.h"
#include "dnnl.hpp"
#include "engine/model.h"
#include "engine/status_macros.h"

ABSL_FLAG(std::string, mode, "train", "info | sgemm | train | round_trip");
ABSL_FLAG(int, threads, 2, "OpenMP threads");
ABSL_FLAG(int, sgemm_size, 1024, "sgemm: square matrix size");
ABSL_FLAG(int, reps, 20, "sgemm: timed calls");
ABSL_FLAG(std::string, spec, "", "train: model spec JSON (v1.ModelSpec)");
ABSL_FLAG(int, epochs, 2, "train: epochs");
ABSL_FLAG(std::string, dtype_policy, "",
          "train: overrides the spec's dtype_policy (float32 | mixed_bfloat16)");
ABSL_FLAG(int, batch_size, 32, "train: batch size");
ABSL_FLAG(std::string, step_team, "auto",
          "train: how steps use the threads: auto (TeamSizeTuner) | whole | "
          "halves (kKernelHalves) | one");
ABSL_FLAG(int64_t, seed, 42, "train: seed of weights, shuffles and masks");
ABSL_FLAG(int64_t, limit, 0, "train: use only the first N training images");
ABSL_FLAG(int, mc_samples, 0, "train: then time MC dropout over the test set");
ABSL_FLAG(int, mc_batch_size, 32, "train: inputs per MC pass (x samples rows)");
ABSL_FLAG(bool, step_times, false,
          "train: also time each epoch's steps by phase and layer "
          "(engine/step_times.h), printed per step on stderr and as "
          "\"step_times_us\"");
ABSL_FLAG(std::string, fashion_dir, profundo::bench::kFashionDir,
          "directory of the Fashion-MNIST IDX .gz files");

namespace profundo::bench {
namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

// Each epoch's StepTimes in microseconds per step, as JSON objects (joined
// by ", "), also printed on stderr, three lines per epoch (layers in the
// model's order):
//   epoch 1, 1719 steps, us per step: gather 6.6 forward 54.5 ...
//     forward: flatten 0.0 batch_normalization 3.1 dense 36.0 ...
//     backward: loss 1.4 flatten 0.0 batch_normalization 0.0 dense 42.3 ...
std::string StepTimesJson(const std::vector<StepTimes>& epochs,
                          const Model& model) {
  std::vector<std::string> objects;
  for (size_t epoch = 0; epoch < epochs.size(); ++epoch) {
    const StepTimes& t = epochs[epoch];
    const double us = t.steps > 0 ? 1e6 / static_cast<double>(t.steps) : 0;
    std::string forward, backward = absl::StrFormat(" loss %.1f", t.loss * us);
    std::string layers;
    for (size_t i = 0; i < model.layers().size(); ++i) {
      const std::string& name = model.layers()[i]->name();
      const double f = t.layer_forward[i] * us, b = t.layer_backward[i] * us;
      absl::StrAppendFormat(&forward, " %s %.1f", name, f);
      absl::StrAppendFormat(&backward, " %s %.1f", name, b);
      absl::StrAppendFormat(&layers, "%s\"%s\": [%.2f, %.2f]",
                            layers.empty() ? "" : ", ", name, f, b);
    }
    std::fprintf(stderr,
                 "epoch %zu, %lld steps, us per step: gather %.1f forward "
                 "%.1f backward %.1f update %.1f\n  forward:%s\n  "
                 "backward:%s\n",
                 epoch + 1, static_cast<long long>(t.steps), t.gather * us,
                 t.forward * us, t.backward * us, t.update * us,
                 forward.c_str(), backward.c_str());
    objects.push_back(absl::StrFormat(
        "{\"steps\": %d, \"gather\": %.2f, \"forward\": %.2f, "
        "\"backward\": %.2f, \"update\": %.2f, \"loss\": %.2f, "
        "\"layers\": {%s}}",
        t.steps, t.gather * us, t.forward * us, t.backward * us,
        t.update * us, t.loss * us, layers));
  }
  return absl::StrJoin(objects, ", ");
}

double AccuracyOfMean(const Tensor& mean, const Tensor& labels) {
  const int64_t n = mean.dim(0), k = mean.dim(1);
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* m = mean.data() + i * k;
    correct += std::max_element(m, m + k) - m ==
               static_cast<int64_t>(labels.data()[i]);
  }
  return static_cast<double>(correct) / n;
}

absl::Status RunSgemm(int threads) {
  const int size = absl::GetFlag(FLAGS_sgemm_size);
  double cpu_gflops = 0;
  const double gflops =
      SgemmPeakGflops(size, absl::GetFlag(FLAGS_reps), &cpu_gflops);
  std::printf(
      "{\"sgemm_gflops\": %.2f, \"sgemm_cpu_gflops\": %.2f, \"size\": %d, "
      "\"threads\": %d}\n",
      gflops, cpu_gflops, size, threads);
  return absl::OkStatus();
}

// How far apart CPUs 0 and 1 are: the round trip of a cache line passed
// back and forth between two threads pinned to them (median of 5 batches of
// 20,000). On this project's 2-vCPU VMs the host moves the vCPUs between
// cores that share a cache (~55 ns) and cores far apart (~320 ns), and
// every multi-threaded timing depends on which it is at the moment.
absl::Status RunRoundTrip() {
  if (std::thread::hardware_concurrency() < 2) {
    return absl::FailedPreconditionError("round_trip needs two CPUs");
  }
  alignas(64) static std::atomic<int64_t> ball{0};
  constexpr int64_t kPasses = 20000, kBatches = 5;
  auto pin = [](int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  };
  std::thread partner([&] {
    pin(1);
    for (int64_t i = 0; i < kPasses * kBatches; ++i) {
      while (ball.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      ball.store(2 * i + 2, std::memory_order_release);
    }
  });
  pin(0);
  std::vector<double> ns;
  for (int64_t b = 0; b < kBatches; ++b) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = b * kPasses; i < (b + 1) * kPasses; ++i) {
      ball.store(2 * i + 1, std::memory_order_release);
      while (ball.load(std::memory_order_acquire) != 2 * i + 2) {
      }
    }
    ns.push_back(Seconds(t0) * 1e9 / kPasses);
  }
  partner.join();
  std::sort(ns.begin(), ns.end());
  std::printf("{\"round_trip_ns\": %.0f}\n", ns[ns.size() / 2]);
  return absl::OkStatus();
}

absl::Status RunInfo(int threads) {
  const dnnl_version_t* v = dnnl_version();
  std::printf(
      "{\"onednn\": \"%d.%d.%d\", \"onednn_cpu_runtime\": %d, "
      "\"onednn_isa\": %d, \"compiler\": \"gcc %s\", \"threads\": %d}\n",
      v->major, v->minor, v->patch, v->cpu_runtime,
      static_cast<int>(dnnl_get_effective_cpu_isa()), __VERSION__, threads);
  return absl::OkStatus();
}

absl::Status RunTrain(int threads) {
  PROFUNDO_ASSIGN_OR_RETURN(v1::ModelSpec spec,
                            ReadSpec(absl::GetFlag(FLAGS_spec)));
  if (!absl::GetFlag(FLAGS_dtype_policy).empty()) {
    spec.set_dtype_policy(absl::GetFlag(FLAGS_dtype_policy));
  }
  const std::string policy =
      spec.dtype_policy().empty() ? "float32" : spec.dtype_policy();
  PROFUNDO_ASSIGN_OR_RETURN(FashionMnist data,
                            LoadFashionMnist(absl::GetFlag(FLAGS_fashion_dir)));
  const int64_t limit = absl::GetFlag(FLAGS_limit);
  if (limit > 0 && limit < data.train.size()) {
    data.train = Dataset{data.train.x.Rows(0, limit), data.train.y.Rows(0, limit)};
  }
  PROFUNDO_ASSIGN_OR_RETURN(
      std::unique_ptr<Model> model,
      Model::Create(spec, static_cast<uint64_t>(absl::GetFlag(FLAGS_seed))));
  FitOptions fit;
  fit.epochs = absl::GetFlag(FLAGS_epochs);
  fit.batch_size = absl::GetFlag(FLAGS_batch_size);
  const std::string step_team = absl::GetFlag(FLAGS_step_team);
  if (step_team == "whole") {
    fit.step_team = StepTeam::kWhole;
  } else if (step_team == "halves") {
    fit.step_team = StepTeam::kKernelHalves;
  } else if (step_team == "one") {
    fit.step_team = StepTeam::kOne;
  } else if (step_team != "auto") {
    return absl::InvalidArgumentError(
        absl::StrCat("--step_team is \"", step_team,
                     "\"; it must be auto, whole, halves or one"));
  }
  std::vector<StepTimes> step_times;
  if (absl::GetFlag(FLAGS_step_times)) fit.step_times = &step_times;
  const auto fit_start = std::chrono::steady_clock::now();
  const std::clock_t fit_cpu_start = std::clock();
  PROFUNDO_ASSIGN_OR_RETURN(History history, model->Fit(data.train, std::move(fit)));
  const double fit_seconds = Seconds(fit_start);
  // CPU time of all threads (spinning OpenMP threads included).
  const double fit_cpu_seconds =
      static_cast<double>(std::clock() - fit_cpu_start) / CLOCKS_PER_SEC;
  PROFUNDO_ASSIGN_OR_RETURN(Evaluation ev, model->Evaluate(data.test));

  const GemmWork work = ModelGemmWork(*model);
  std::string out = absl::StrFormat(
      "{\"framework\": \"profundo\", \"dtype_policy\": \"%s\", "
      "\"threads\": %d, \"batch_size\": %d, "
      "\"train_samples\": %d, \"epoch_seconds\": [%s], \"fit_seconds\": %.4f, "
      "\"fit_cpu_seconds\": %.4f, "
      "\"train_loss\": %.5f, \"train_accuracy\": %.5f, "
      "\"test_loss\": %.5f, \"test_accuracy\": %.5f, "
      "\"gemm_macs\": {\"forward\": %d, \"backward_weights\": %d, "
      "\"backward_data\": %d}",
      policy, threads, absl::GetFlag(FLAGS_batch_size), data.train.size(),
      absl::StrJoin(history.seconds, ", ",
                    [](std::string* s, double v) {
                      absl::StrAppendFormat(s, "%.4f", v);
                    }),
      fit_seconds, fit_cpu_seconds, history.epochs.back().loss, history.epochs.back().accuracy,
      ev.loss, ev.accuracy, work.forward, work.backward_weights,
      work.backward_data);

  if (!step_times.empty()) {
    absl::StrAppend(&out, ", \"step_times_us\": [",
                    StepTimesJson(step_times, *model), "]");
  }

  const int mc = absl::GetFlag(FLAGS_mc_samples);
  if (mc > 0) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t cpu0 = std::clock();
    PROFUNDO_ASSIGN_OR_RETURN(
        McPrediction pred,
        model->PredictMc(data.test.x, mc, absl::GetFlag(FLAGS_mc_batch_size)));
    const double s = Seconds(t0);
    const double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
    absl::StrAppendFormat(
        &out,
        ", \"mc_samples\": %d, \"mc_batch_size\": %d, \"mc_seconds\": %.4f, "
        "\"mc_cpu_seconds\": %.4f, \"mc_accuracy\": %.5f",
        mc, absl::GetFlag(FLAGS_mc_batch_size), s, cpu,
        AccuracyOfMean(pred.mean, data.test.y));
  }
  const auto t0 = std::chrono::steady_clock::now();
  PROFUNDO_ASSIGN_OR_RETURN(Tensor probs, model->Predict(data.test.x, 256));
  absl::StrAppendFormat(&out, ", \"predict_seconds\": %.4f}\n", Seconds(t0));
  std::fputs(out.c_str(), stdout);
  return absl::OkStatus();
}

}  // namespace
}  // namespace profundo::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Engine side of bench/compare.py: --mode sgemm | train (JSON out).");
  absl::ParseCommandLine(argc, argv);
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads > 0) omp_set_num_threads(threads);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  absl::Status s;
  try {
    if (mode == "info") {
      s = profundo::bench::RunInfo(omp_get_max_threads());
    } else if (mode == "sgemm") {
      s = profundo::bench::RunSgemm(omp_get_max_threads());
    } else if (mode == "train") {
      s = profundo::bench::RunTrain(omp_get_max_threads());
    } else if (mode == "round_trip") {
      s = profundo::bench::RunRoundTrip();
    } else {
      s = absl::InvalidArgumentError(
          "--mode must be info, sgemm, train or round_trip");
    }
  } catch (const dnnl::error& e) {
    s = absl::InternalError(e.what());
  }
  if (!s.ok()) {
    std::fprintf(stderr, "profundo-bench: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
