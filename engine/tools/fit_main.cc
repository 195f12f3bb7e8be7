// profundo-fit: trains a model spec locally on IDX data, prints Keras-style
// epoch lines, evaluates on the test set and optionally prints the history as
// JSON and MC-dropout predictions. For trying a spec before submitting it to
// the server, for the benchmarks and the demo.
//
//   profundo-fit --spec deploy/examples/seed_bn.json --epochs 2
//
// Seeing why a deep network trains badly:
//   --health_every N   per-layer health every N steps, with warnings
//   --lr_range_test    the learning-rate range test instead of training
//   --plot DIR         learning curves (or the range test) as SVG
//   --tensorboard DIR  TensorBoard event files (DIR/train, DIR/validation)
#include <unistd.h>
#include <omp.h>

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/plot/svg_plot.h"
#include "engine/callbacks/tensorboard.h"
#include "engine/datasets/idx.h"
#include "engine/health/diagnosis.h"
#include "engine/health/lr_range_test.h"
#include "engine/model.h"
#include "engine/spec_json.h"
#include "engine/status_macros.h"

#define FMNIST "/usr/share/datasets/fashion-mnist/"
ABSL_FLAG(std::string, spec, "", "model spec JSON file (v1.ModelSpec)");
ABSL_FLAG(std::string, config, "", "train config JSON file (v1.TrainConfig)");
ABSL_FLAG(std::string, train_images, FMNIST "train-images-idx3-ubyte.gz", "IDX");
ABSL_FLAG(std::string, train_labels, FMNIST "train-labels-idx1-ubyte.gz", "IDX");
ABSL_FLAG(std::string, test_images, FMNIST "t10k-images-idx3-ubyte.gz", "IDX");
ABSL_FLAG(std::string, test_labels, FMNIST "t10k-labels-idx1-ubyte.gz", "IDX");
ABSL_FLAG(int, epochs, 0, "overrides the config's epochs when > 0");
ABSL_FLAG(int, batch_size, 0, "overrides the config's batch_size when > 0");
ABSL_FLAG(int64_t, limit, 0, "use only the first N training samples (0: all)");
ABSL_FLAG(double, scale, 1.0 / 255.0, "multiply pixel values by this");
ABSL_FLAG(int, threads, 0, "OpenMP threads (0: all cores)");
ABSL_FLAG(int, mc_samples, 0, "print MC-dropout predictions with N samples");
ABSL_FLAG(int, show, 5, "test images to show predictions for");
ABSL_FLAG(std::string, history_json, "", "write the history as JSON here ('-': stdout)");
ABSL_FLAG(bool, summary, true, "print the model summary");
ABSL_FLAG(int, health_every, 0,
          "measure per-layer health every N steps and print it with warnings "
          "(0: off)");
ABSL_FLAG(bool, lr_range_test, false,
          "run the learning-rate range test (one epoch, rate from "
          "--lr_min to --lr_max) instead of training");
ABSL_FLAG(double, lr_min, 1e-5, "--lr_range_test: first rate");
ABSL_FLAG(double, lr_max, 10, "--lr_range_test: last rate");
ABSL_FLAG(std::string, plot, "",
          "write SVG charts here: learning_curves.svg, or lr_range_test.svg");
ABSL_FLAG(std::string, tensorboard, "",
          "write TensorBoard event files under this directory");

namespace profundo {
namespace {

constexpr const char* kClassNames[] = {"T-shirt/top", "Trouser", "Pullover",
                                       "Dress",       "Coat",    "Sandal",
                                       "Shirt",       "Sneaker", "Bag",
                                       "Ankle boot"};

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<Dataset> LoadIdx(const std::string& images,
                                const std::string& labels, int64_t limit) {
  PROFUNDO_ASSIGN_OR_RETURN(Dataset d, ReadIdxDataset(images, labels));
  if (limit > 0 && limit < d.size()) {
    d = Dataset{d.x.Rows(0, limit), d.y.Rows(0, limit)};
  }
  const float scale = static_cast<float>(absl::GetFlag(FLAGS_scale));
  for (float& v : d.x.values()) v *= scale;
  return d;
}

std::string Metrics(const EpochLogs& logs) {
  std::string s = absl::StrFormat("loss: %.4f - accuracy: %.4f", logs.loss,
                                  logs.accuracy);
  if (logs.val_loss) absl::StrAppendFormat(&s, " - val_loss: %.4f", *logs.val_loss);
  if (logs.val_accuracy) {
    absl::StrAppendFormat(&s, " - val_accuracy: %.4f", *logs.val_accuracy);
  }
  absl::StrAppendFormat(&s, " - lr: %.4g", logs.lr);
  return s;
}

std::string Bar(int64_t done, int64_t total) {
  const int width = 30;
  const int filled = total ? static_cast<int>(width * done / total) : width;
  std::string bar(filled, '=');
  if (filled < width) bar += '>';
  bar.resize(width, '.');
  return "[" + bar + "]";
}

std::string HistoryJson(const History& h) {
  std::string s = "{\"epochs\": [";
  for (size_t i = 0; i < h.epochs.size(); ++i) {
    const EpochLogs& e = h.epochs[i];
    absl::StrAppendFormat(&s, "%s\n  {\"epoch\": %d, \"loss\": %.6g, \"accuracy\": %.6g",
                          i ? "," : "", e.epoch + 1, e.loss, e.accuracy);
    if (e.val_loss) absl::StrAppendFormat(&s, ", \"val_loss\": %.6g", *e.val_loss);
    if (e.val_accuracy) {
      absl::StrAppendFormat(&s, ", \"val_accuracy\": %.6g", *e.val_accuracy);
    }
    absl::StrAppendFormat(&s, ", \"lr\": %.6g, \"seconds\": %.3f}", e.lr,
                          i < h.seconds.size() ? h.seconds[i] : 0.0);
  }
  absl::StrAppend(&s, "]}\n");
  return s;
}

absl::Status WriteText(const std::string& dir, const std::string& name,
                       const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (ec || !out) return absl::InternalError(absl::StrCat("cannot write ", path));
  std::printf("wrote %s\n", path.c_str());
  return absl::OkStatus();
}

void PrintHealth(const HealthReport& r) {
  std::printf("\nhealth at step %lld (epoch %d, loss %.4g, lr %.3g):\n",
              static_cast<long long>(r.step), r.epoch + 1, r.loss,
              r.learning_rate);
  std::printf("  %-22s %10s %10s %9s %9s %6s %6s\n", "layer", "grad_norm",
              "upd/w", "act_mean", "act_std", "dead", "sat");
  for (const LayerHealth& h : r.layers) {
    if (!h.has_kernel && h.activation == ActivationKind::kLinear) continue;
    std::printf("  %-22s %10s %10s %9.3f %9.3f %6s %6s\n",
                absl::StrCat(h.name, " (", h.type, ")").c_str(),
                h.has_kernel ? absl::StrFormat("%.3g", h.grad_norm).c_str() : "-",
                h.has_kernel ? absl::StrFormat("%.2e", h.update_ratio).c_str()
                             : "-",
                h.act_mean, h.act_std,
                h.dead_fraction ? absl::StrFormat("%.0f%%", 100 * *h.dead_fraction).c_str()
                                : "-",
                h.saturated_fraction
                    ? absl::StrFormat("%.0f%%", 100 * *h.saturated_fraction).c_str()
                    : "-");
  }
  for (const HealthWarning& w : Diagnose(r)) {
    std::printf("  WARNING %s\n", w.message.c_str());
  }
}

absl::Status RunLrRangeTest(const v1::ModelSpec& spec, const Dataset& train,
                            const v1::TrainConfig& config, uint64_t seed) {
  LrRangeOptions o;
  o.min_lr = absl::GetFlag(FLAGS_lr_min);
  o.max_lr = absl::GetFlag(FLAGS_lr_max);
  o.batch_size = config.has_batch_size() ? config.batch_size() : 32;
  o.seed = seed;
  const auto start = std::chrono::steady_clock::now();
  PROFUNDO_ASSIGN_OR_RETURN(LrRangeResult r, LrRangeTest(spec, train, o));
  const double s = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start).count();
  std::vector<double> lr, loss, smoothed;
  for (size_t i = 0; i < r.points.size(); ++i) {
    const LrRangePoint& p = r.points[i];
    lr.push_back(p.lr);
    loss.push_back(p.loss);
    smoothed.push_back(p.smoothed_loss);
    if (i % 50 == 0 || i + 1 == r.points.size()) {
      std::printf("step %5zu  lr %.4g  loss %.4f  smoothed %.4f\n", i, p.lr,
                  p.loss, p.smoothed_loss);
    }
  }
  std::printf(
      "LR range test: %zu steps in %.1fs%s; minimum smoothed loss at lr %.4g, "
      "steepest descent at %.4g\nsuggested OneCycle max_rate: %.4g (the "
      "minimum's rate / 10)\n",
      r.points.size(), s, r.exploded ? " (stopped: loss exploded)" : "",
      r.min_loss_lr, r.steepest_lr, r.suggested_max_rate);
  const std::string dir = absl::GetFlag(FLAGS_plot);
  if (!dir.empty()) {
    PROFUNDO_RETURN_IF_ERROR(WriteText(
        dir, "lr_range_test.svg",
        plot::LrRangeSvg(lr, loss, smoothed, r.suggested_max_rate,
                         "LR range test: " + absl::GetFlag(FLAGS_spec))));
  }
  return absl::OkStatus();
}

absl::Status Run() {
  if (absl::GetFlag(FLAGS_spec).empty()) {
    return absl::InvalidArgumentError("--spec is required");
  }
  if (absl::GetFlag(FLAGS_threads) > 0) omp_set_num_threads(absl::GetFlag(FLAGS_threads));
  PROFUNDO_ASSIGN_OR_RETURN(std::string spec_text, ReadText(absl::GetFlag(FLAGS_spec)));
  PROFUNDO_ASSIGN_OR_RETURN(v1::ModelSpec spec, ParseJson<v1::ModelSpec>(spec_text));
  v1::TrainConfig config;
  if (!absl::GetFlag(FLAGS_config).empty()) {
    PROFUNDO_ASSIGN_OR_RETURN(std::string text, ReadText(absl::GetFlag(FLAGS_config)));
    PROFUNDO_ASSIGN_OR_RETURN(config, ParseJson<v1::TrainConfig>(text));
  }
  if (absl::GetFlag(FLAGS_epochs) > 0) config.set_epochs(absl::GetFlag(FLAGS_epochs));
  if (absl::GetFlag(FLAGS_batch_size) > 0) {
    config.set_batch_size(absl::GetFlag(FLAGS_batch_size));
  }
  const uint64_t seed = config.has_seed() ? config.seed() : 42;
  PROFUNDO_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::Create(spec, seed));
  if (absl::GetFlag(FLAGS_summary)) std::cout << model->summary().ToString();

  PROFUNDO_ASSIGN_OR_RETURN(
      Dataset train, LoadIdx(absl::GetFlag(FLAGS_train_images),
                             absl::GetFlag(FLAGS_train_labels),
                             absl::GetFlag(FLAGS_limit)));
  if (absl::GetFlag(FLAGS_lr_range_test)) {
    return RunLrRangeTest(spec, train, config, seed);
  }
  PROFUNDO_ASSIGN_OR_RETURN(Dataset test, LoadIdx(absl::GetFlag(FLAGS_test_images),
                                                  absl::GetFlag(FLAGS_test_labels), 0));
  PROFUNDO_ASSIGN_OR_RETURN(
      FitOptions fit, FitOptionsFromConfig(config, model->optimizer().has_schedule()));

  const bool tty = isatty(STDOUT_FILENO);
  using Clock = std::chrono::steady_clock;
  Clock::time_point epoch_start;
  int64_t batches = 0;
  fit.on_batch_end = [&](const Progress& p) {
    if (p.batch == 1) {
      std::printf("Epoch %d/%d\n", p.epoch + 1, p.epochs);
      epoch_start = Clock::now() - std::chrono::microseconds(1);
    }
    batches = p.batches;
    if (tty && (p.batch % 25 == 0 || p.batch == p.batches)) {
      std::printf("\r%lld/%lld %s - loss: %.4f - accuracy: %.4f",
                  static_cast<long long>(p.batch),
                  static_cast<long long>(p.batches),
                  Bar(p.batch, p.batches).c_str(), p.loss, p.accuracy);
      std::fflush(stdout);
    }
  };
  const int health_every = absl::GetFlag(FLAGS_health_every);
  int64_t health_reports = 0;
  if (health_every > 0) {
    fit.health_every = health_every;
    fit.on_health = [&](const HealthReport& r) {
      ++health_reports;
      PrintHealth(r);
    };
  }
  std::unique_ptr<TensorBoard> tensorboard;
  const std::string tb_dir = absl::GetFlag(FLAGS_tensorboard);
  if (!tb_dir.empty()) {
    PROFUNDO_ASSIGN_OR_RETURN(tensorboard, TensorBoard::Create(tb_dir));
  }
  absl::Status tb_status;  // the first write error; no writes after it
  fit.on_epoch_end = [&](const EpochLogs& logs) {
    if (tensorboard != nullptr && tb_status.ok()) {
      tb_status = tensorboard->OnEpochEnd(logs);
    }
    const double s =
        std::chrono::duration<double>(Clock::now() - epoch_start).count();
    std::printf("%s%lld/%lld %s - %.0fs %.0fms/step - %s\n", tty ? "\r" : "",
                static_cast<long long>(batches), static_cast<long long>(batches),
                Bar(1, 1).c_str(), s, 1000.0 * s / std::max<int64_t>(1, batches),
                Metrics(logs).c_str());
    std::fflush(stdout);
  };
  PROFUNDO_ASSIGN_OR_RETURN(History history, model->Fit(train, std::move(fit)));
  PROFUNDO_RETURN_IF_ERROR(tb_status);
  if (!tb_dir.empty()) std::printf("TensorBoard: tensorboard --logdir %s\n", tb_dir.c_str());
  if (health_every > 0) {
    std::printf("%lld health reports\n", static_cast<long long>(health_reports));
  }
  const std::string plot_dir = absl::GetFlag(FLAGS_plot);
  if (!plot_dir.empty()) {
    std::vector<plot::EpochPoint> points;
    for (const EpochLogs& e : history.epochs) {
      points.push_back({e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy, e.lr});
    }
    PROFUNDO_RETURN_IF_ERROR(WriteText(
        plot_dir, "learning_curves.svg",
        plot::LearningCurvesSvg(points, absl::GetFlag(FLAGS_spec))));
  }
  PROFUNDO_ASSIGN_OR_RETURN(Evaluation ev, model->Evaluate(test));
  std::printf("test loss: %.4f - test accuracy: %.4f\n", ev.loss, ev.accuracy);

  const int mc = absl::GetFlag(FLAGS_mc_samples);
  const int show = std::min<int64_t>(absl::GetFlag(FLAGS_show), test.size());
  if (mc > 0) {
    PROFUNDO_ASSIGN_OR_RETURN(McPrediction pred, model->PredictMc(test.x, mc));
    int64_t correct = 0;
    const int64_t k = pred.mean.dim(1);
    for (int64_t i = 0; i < test.size(); ++i) {
      const float* m = pred.mean.data() + i * k;
      correct += std::max_element(m, m + k) - m == static_cast<int64_t>(test.y.data()[i]);
    }
    std::printf("MC dropout (%d samples) test accuracy: %.4f\n", mc,
                static_cast<double>(correct) / test.size());
    for (int i = 0; i < show; ++i) {
      const float* m = pred.mean.data() + i * k;
      const float* s = pred.std.data() + i * k;
      const int64_t top = std::max_element(m, m + k) - m;
      std::printf("image %d (true: %s): top %s p=%.3f ± %.3f |", i,
                  kClassNames[static_cast<int>(test.y.data()[i]) % 10],
                  kClassNames[top % 10], m[top], s[top]);
      for (int64_t j = 0; j < k; ++j) std::printf(" %.2f±%.2f", m[j], s[j]);
      std::printf("\n");
    }
  }
  const std::string hj = absl::GetFlag(FLAGS_history_json);
  if (hj == "-") {
    std::cout << HistoryJson(history);
  } else if (!hj.empty()) {
    std::ofstream(hj) << HistoryJson(history);
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace profundo

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Trains a Profundo model spec locally on IDX data.\n"
      "  profundo-fit --spec deploy/examples/seed_bn.json --epochs 2");
  absl::ParseCommandLine(argc, argv);
  absl::Status s = profundo::Run();
  if (!s.ok()) {
    std::fprintf(stderr, "profundo-fit: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
