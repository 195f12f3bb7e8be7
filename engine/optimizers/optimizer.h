// Optimizer: one Keras optimizer over the model's flat trainable buffer
// (SPEC.md "Optimizers" and "Gradient clipping").
//
// Step() does, in order: gradient clipping (clipvalue per element, clipnorm
// per parameter tensor, global_clipnorm over all; in this order, as tf.keras
// 2.x applies them), the learning rate of this step (constant or schedule,
// then legacy decay lr / (1 + decay * step)), the optimizer's update of every
// element, then constraints (max_norm) of each trainable parameter. When the
// store keeps a bf16 mirror of the weights (mixed_bfloat16), Step writes it
// too (each thread converts the range it has just updated, see
// UpdateRanges) and marks it current, so the next forward pass converts
// nothing.
// Regularization gradients are added by the model before Step.
//
// Per-parameter state (m, v, accumulators...) lives in flat "slots" the size
// of the trainable buffer, created on the first Step; they and the step
// counter are exposed for checkpoints.
//
// Not thread-safe; owned by the Model.
//
// Example:
//   auto opt = MakeOptimizer(spec.optimizer(), "optimizer");
//   (*opt)->Step(store);   // after backward filled store.grads()
#ifndef PROFUNDO_ENGINE_OPTIMIZERS_OPTIMIZER_H_
#define PROFUNDO_ENGINE_OPTIMIZERS_OPTIMIZER_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/mixed_precision/bfloat16.h"
#include "engine/parallel.h"
#include "engine/parameters.h"
#include "engine/schedules/learning_rate_schedule.h"
#include "profundo/v1/model.pb.h"

namespace profundo {

// The arguments every Keras optimizer takes.
struct OptimizerOptions {
  double learning_rate = 0.01;
  std::unique_ptr<LearningRateSchedule> schedule;  // overrides learning_rate
  std::optional<double> clipvalue;
  std::optional<double> clipnorm;
  std::optional<double> global_clipnorm;
  double decay = 0.0;
};

class Optimizer {
 public:
  explicit Optimizer(OptimizerOptions options);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual const char* name() const = 0;

  // One update of store's trainable values from store's grads (grads may be
  // modified by clipping).
  void Step(ParameterStore& store);

  // Steps taken so far (Keras's `iterations`).
  int64_t iterations() const { return iterations_; }
  // The rate the next Step uses (schedule and decay applied).
  double current_learning_rate() const;
  // The base rate (what callbacks read and set). Setting it while a schedule
  // is in use replaces the schedule by the constant.
  double learning_rate() const;
  void set_learning_rate(double lr);
  bool has_schedule() const { return options_.schedule != nullptr; }

  // Momentum, for OneCycle: SGD's momentum, RMSprop's momentum, Adam-family
  // beta_1. has_momentum() is false for plain SGD/RMSprop without momentum
  // and for Adagrad.
  virtual bool has_momentum() const { return false; }
  virtual double momentum() const { return 0.0; }
  virtual void set_momentum(double m) {}

  // Checkpoint state: named slots (each the size of the trainable buffer),
  // the step counter and the base learning rate. Before the first Step the
  // vectors are empty; a checkpoint may fill them (trainable size), and Step
  // then keeps them instead of creating fresh ones.
  std::vector<std::pair<std::string, std::vector<float>*>> slots();
  void set_iterations(int64_t t) { iterations_ = t; }
  // Scalar state beyond the slots and the step counter, by name (Nadam's
  // running momentum product, which depends on every past beta_1 when
  // OneCycle varies it). Restore it after set_iterations; an empty map (a
  // checkpoint written before scalars existed) keeps what the optimizer can
  // rebuild from the step counter. INVALID_ARGUMENT on a name it does not have.
  virtual std::map<std::string, double> scalars() const { return {}; }
  virtual absl::Status set_scalars(const std::map<std::string, double>& s);

 protected:
  // Names of this optimizer's slots, e.g. {"m", "v"}.
  virtual std::vector<std::string> SlotNames() const = 0;
  // The value slot i starts from (Adagrad's initial_accumulator_value).
  virtual float SlotInitialValue(int i) const { return 0.0f; }
  // The update of n elements: w -= f(g, slots) with learning rate lr at
  // step t (counted from 1). slot[i] points to the same n elements of slot i.
  // Implementations compute the step's coefficients once, then run their
  // elementwise loop through UpdateRanges, once (it also writes the bf16
  // mirror; bfloat16_mirror_test checks every optimizer).
  virtual void Update(float* w, const float* g, float* const* slot, int64_t n,
                      double lr, int64_t t) = 0;

  // Calls body(begin, end) on ranges covering [0, n) of Update's arrays,
  // split over the OpenMP team as ParallelRanges does, or, in a
  // kKernelHalves step (engine/parallel.h), the second halves of the split
  // kernels (Parameter::split_row) on one thread and everything else on
  // the calling thread. When this Step keeps a bf16 mirror, each thread
  // updates its range in chunks of kMirrorChunk elements and converts each
  // chunk's weights right after, while they are in L1 (converting a whole
  // range after its update re-read the weights from L3: Nadam with the
  // mirror, 268,978 weights, 101 -> 93 us on 1 thread, 55 -> 50 us on 2,
  // BM_OptimizerStep/nadam_bf16_mirror; 256- and 4096-element chunks were
  // slower). (Writing the mirror inside the update's loop, as a fifth
  // stream, did not scale to two threads: a batch-32 step of the seed BN
  // model took 380 us instead of 335.) Each element is updated once, by the
  // same code, whatever the split.
  // In a kKernelHalves step without a mirror (float32), each thread first
  // claims the cache lines at the start of every range of its own that
  // begins where a split kernel half ends (ClaimLines): the forward product
  // of the half before it (oneDNN's f32 gemm, on the other thread) reads
  // ahead ~128-192 KiB past the end of its kernel rows, so the other core
  // holds copies of those lines, and the update's stores, each waiting for
  // that core to drop its copy, ran ~3x slower far apart (Nadam's share on
  // thread 0 137-144 us instead of ~55, on thread 1 107-122 instead of
  // ~41). A pass of one store per line first takes them in parallel.
  template <typename Body>
  void UpdateRanges(int64_t n, const Body& body) {
    auto run = [&](int64_t begin, int64_t end) {
      if (begin >= end) return;
      if (step_w_bf16_ == nullptr) return body(begin, end);
      for (int64_t b = begin; b < end; b += kMirrorChunk) {
        const int64_t e = std::min(end, b + kMirrorChunk);
        body(b, e);
        FloatToBfloat16Serial(step_w_ + b, step_w_bf16_ + b, e - b);
      }
    };
    if (step_second_halves_.empty()) return ParallelRanges(n, run);
    // Every range but the one at 0 begins where a split kernel half ends
    // (a second half where its first half ends, a gap where a second half
    // ends).
    auto claim_and_run = [&](int64_t begin, int64_t end) {
      if (step_w_bf16_ == nullptr && begin > 0 && begin < end) {
        ClaimLines(step_w_ + begin, std::min(end - begin, kClaimElements));
      }
      run(begin, end);
    };
    RunHalves([&](int t) {
      int64_t at = 0;  // thread 0: the gaps between the second halves
      for (const auto& [begin, end] : step_second_halves_) {
        if (t == 0) claim_and_run(at, begin);
        if (t == 1) claim_and_run(begin, end);
        at = end;
      }
      if (t == 0) claim_and_run(at, n);
    });
  }

 private:
  void Clip(ParameterStore& store);
  // Writes one float of every 64-byte line of [p, p + n) back with its own
  // value, so that this core holds those lines exclusively (stores only:
  // their ownership requests proceed in parallel, where the update's
  // stores, interleaved with its loads, wait one by one).
  static void ClaimLines(float* p, int64_t n);
  void EnsureSlots(int64_t n);

  OptimizerOptions options_;
  static constexpr int64_t kMirrorChunk = 1024;  // 4 KiB of each stream
  // How much of a range after a split kernel half ClaimLines takes (192
  // KiB of weights; measured far apart on the 784x300 kernel: 16 Ki
  // elements took Nadam's share on thread 0 from ~140 to ~92 us, 48 Ki to
  // ~70; past 32 Ki the lines were no longer contended).
  static constexpr int64_t kClaimElements = 49152;
  int64_t iterations_ = 0;
  // During Step: the weights and their bf16 mirror (null without one).
  float* step_w_ = nullptr;
  uint16_t* step_w_bf16_ = nullptr;
  // During a kKernelHalves Step: the split kernels' second halves, as
  // ascending [begin, end) ranges of the trainable buffer (else empty).
  std::vector<std::pair<int64_t, int64_t>> step_second_halves_;
  std::vector<std::string> slot_names_;
  std::vector<std::vector<float>> slots_;
};

// Validates and builds from the spec; `field` is the spec path
// ("optimizer"), used in INVALID_ARGUMENT messages
// ("optimizer.sgd.momentum must be in [0, 1]").
absl::StatusOr<std::unique_ptr<Optimizer>> MakeOptimizer(
    const v1::Optimizer& spec, std::string_view field);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_OPTIMIZERS_OPTIMIZER_H_
