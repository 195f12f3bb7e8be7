// Helpers shared by the benchmark binaries: the Fashion-MNIST split the seed
// uses, spec files, the sgemm peak loop and the GEMM work of a model.
//
// Free functions; not thread-safe only where they say so.
#ifndef PROFUNDO_BENCH_BENCH_UTIL_H_
#define PROFUNDO_BENCH_BENCH_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "engine/datasets/dataset.h"
#include "engine/model.h"
#include "profundo/v1/model.pb.h"

namespace profundo::bench {

inline constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist/";

// The seed's split: x / 255, validation = the first 5,000 training images
// (not returned), train = the remaining 55,000; test = the 10,000 test images.
struct FashionMnist {
  Dataset train;
  Dataset test;
};
absl::StatusOr<FashionMnist> LoadFashionMnist(const std::string& dir = kFashionDir,
                                              int64_t validation = 5000);

absl::StatusOr<v1::ModelSpec> ReadSpec(const std::string& path);

// Multiply-adds per sample of the model's Dense layers: forward, backward
// with respect to the weights, and backward with respect to the input of
// each Dense layer that has a trainable parameter somewhere before it (the
// gradient a correct engine cannot skip), except a Dense right after a
// BatchNormalization that is the first trainable layer: that one needs only
// column sums of the gradient (Layer::TakesColumnSums). The seed BN model:
// 266,200 + 266,200 + 31,000 = 563,400, the floor.
struct GemmWork {
  int64_t forward = 0;
  int64_t backward_weights = 0;
  int64_t backward_data = 0;
  int64_t train() const { return forward + backward_weights + backward_data; }
};
GemmWork ModelGemmWork(const Model& model);

// Best GFLOP/s of `reps` timed dnnl_sgemm calls on size x size matrices
// (after two warm-up calls), with the OpenMP threads in force. The best, not
// the median: a peak, and noise only ever slows a call down.
// With `cpu_gflops`: also the rate per CPU-second of the process times the
// thread count (what the threads do while they hold a core; the
// load-independent figure at 1 thread).
double SgemmPeakGflops(int64_t size, int reps, double* cpu_gflops = nullptr);

// The median of v (v is reordered). 0 for an empty vector.
double Median(std::vector<double> v);

}  // namespace profundo::bench

#endif  // PROFUNDO_BENCH_BENCH_UTIL_H_
