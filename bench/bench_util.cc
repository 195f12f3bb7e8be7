#include "bench/bench_util.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dnnl.h"
#include "engine/datasets/idx.h"
#include "engine/layers/batch_normalization.h"
#include "engine/layers/dense.h"
#include "engine/spec_json.h"
#include "engine/status_macros.h"

namespace profundo::bench {

absl::StatusOr<FashionMnist> LoadFashionMnist(const std::string& dir,
                                              int64_t validation) {
  // The 60,000-image set is freed before the passes below touch the data,
  // not after them: on this project's VMs, right after a process frees
  // ~190 MB its next touch of other freshly written pages costs ~5 us a
  // page (in the host; the guest sees no fault), which the first epoch then
  // paid (~140 ms at any batch size; bench/RESULTS.md, session 21).
  FashionMnist d;
  {
    PROFUNDO_ASSIGN_OR_RETURN(
        Dataset train, ReadIdxDataset(dir + "train-images-idx3-ubyte.gz",
                                      dir + "train-labels-idx1-ubyte.gz"));
    d.train = Dataset{train.x.Rows(validation, train.size()),
                      train.y.Rows(validation, train.size())};
  }
  PROFUNDO_ASSIGN_OR_RETURN(
      d.test, ReadIdxDataset(dir + "t10k-images-idx3-ubyte.gz",
                             dir + "t10k-labels-idx1-ubyte.gz"));
  for (float& v : d.train.x.values()) v /= 255.0f;
  for (float& v : d.test.x.values()) v /= 255.0f;
  return d;
}

absl::StatusOr<v1::ModelSpec> ReadSpec(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseJson<v1::ModelSpec>(ss.str());
}

GemmWork ModelGemmWork(const Model& model) {
  GemmWork w;
  // Layers with a trainable parameter so far, and whether the previous
  // layer is the first of them and takes column sums (an input
  // BatchNormalization, Layer::TakesColumnSums).
  int trainable_layers = 0;
  bool previous_takes_sums = false;
  for (const auto& layer : model.layers()) {
    if (const auto* dense = dynamic_cast<const Dense*>(layer.get())) {
      const Shape& k = model.parameters().param(dense->kernel_id()).shape;
      const int64_t macs = k[0] * k[1];
      w.forward += macs;
      w.backward_weights += macs;
      const bool sums_only = trainable_layers == 1 && previous_takes_sums;
      if (trainable_layers > 0 && !sums_only) w.backward_data += macs;
    }
    bool trainable = false;
    for (const Parameter& p : model.parameters().params()) {
      trainable |= p.trainable && p.name.rfind(layer->name() + "/", 0) == 0;
    }
    previous_takes_sums =
        trainable && trainable_layers == 0 &&
        dynamic_cast<const BatchNormalization*>(layer.get()) != nullptr;
    trainable_layers += trainable;
  }
  return w;
}

double SgemmPeakGflops(int64_t size, int reps, double* cpu_gflops) {
  std::vector<float> a(size * size, 0.5f), b(size * size, 0.25f),
      c(size * size, 0.f);
  auto run = [&] {
    dnnl_sgemm('N', 'N', size, size, size, 1.f, a.data(), size, b.data(),
               size, 0.f, c.data(), size);
  };
  run();
  run();
  std::vector<double> gflops;
  const std::clock_t cpu0 = std::clock();
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    const double s = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - t0)
                         .count();
    gflops.push_back(2.0 * size * size * size / s / 1e9);
  }
  if (cpu_gflops != nullptr) {
    const double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
    *cpu_gflops = 2.0 * size * size * size * reps / (cpu / omp_get_max_threads()) / 1e9;
  }
  return *std::max_element(gflops.begin(), gflops.end());
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

}  // namespace profundo::bench
