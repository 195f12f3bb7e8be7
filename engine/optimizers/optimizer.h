// Optimizer: one Keras optimizer over the model's flat trainable buffer
// (SPEC.md "Optimizers" and "Gradient clipping").
//
// Step() does, in order: gradient clipping (clipvalue per element, clipnorm
// per parameter tensor, global_clipnorm over all; in this order, as tf.keras
// 2.x applies them), the learning rate of this step (constant or schedule,
// then legacy decay lr / (1 + decay * step)), the optimizer's update of every
// element (but those a layer updated early in the backward, see
// BeginEarlyUpdates), then constraints (max_norm) of each trainable
// parameter. When the store keeps a bf16 mirror of the weights
// (mixed_bfloat16), Step writes it too (each thread converts the range it
// has just updated, see UpdateRanges) and marks it current, so the next
// forward pass converts nothing.
// Regularization gradients are added by the model before Step.
//
// Per-parameter state (m, v, accumulators...) lives in flat "slots" the size
// of the trainable buffer, created on the first Step; they and the step
// counter are exposed for checkpoints.
//
// Not thread-safe (but UpdateEarly on disjoint elements); owned by the Model.
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

  // Early updates: this step's update of some parameters runs during the
  // backward pass, block by block while each block of their gradient is
  // still in L1 (Dense's split kernels: SplitInnerProduct::
  // BackwardWeightsByBlocks), instead of in Step: their gradient never goes
  // to memory (store.grads() keeps stale values for them), and the
  // optimizer's loop does not read it back from L3.
  // BeginEarlyUpdates, before the backward: whether this step allows them
  // (not with gradient clipping, which needs the whole gradients first, nor
  // with a bf16 mirror); if so it fixes the step's learning rate and
  // coefficients. UpdateEarly: flat elements [offset, offset + n) from the
  // gradient values g[0, n); thread-safe on disjoint elements.
  // UpdatedEarly(id): parameter id is done (one call, after the layer's
  // threads are). Step then completes the step: the other parameters, every
  // parameter's constraint, the counter. CancelEarlyUpdates: the step will
  // not be completed (its parameters updated early stay updated).
  bool BeginEarlyUpdates(ParameterStore& store);
  void UpdateEarly(int64_t offset, const float* g, int64_t n) const {
    ApplyAt(offset, offset + n, g);
  }
  void UpdatedEarly(int id) { early_ids_.push_back(id); }
  void CancelEarlyUpdates();

 protected:
  // Names of this optimizer's slots, e.g. {"m", "v"}.
  virtual std::vector<std::string> SlotNames() const = 0;
  // The value slot i starts from (Adagrad's initial_accumulator_value).
  virtual float SlotInitialValue(int i) const { return 0.0f; }
  // The update, in two parts. Prepare: this step's coefficients from its
  // learning rate lr and its number t (counted from 1), once per step (it
  // may advance scalar state: Nadam's momentum product). Apply: the update
  // of n elements with them, w -= f(g, slots), slot[i] pointing to the same
  // n elements of slot i; const, so that several threads may apply it at
  // once to disjoint elements (UpdateRanges' threads, the layers' early
  // updates). Which thread updates what and the bf16 mirror are
  // UpdateRanges' business (bfloat16_mirror_test checks every optimizer).
  virtual void Prepare(double lr, int64_t t) = 0;
  virtual void Apply(float* w, const float* g, float* const* slot,
                     int64_t n) const = 0;
  static constexpr int kMaxSlots = 3;  // Adam with amsgrad, centered RMSprop

 private:
  using Ranges = std::vector<std::pair<int64_t, int64_t>>;
  // One thread's elements in a kKernelHalves Step: `claimed` (the starts
  // of ranges after a split half; float32 only) and `unclaimed` (the rest),
  // ascending, updated in that order; claim_per_chunk lines of `claimed`
  // are prefetched for writing before each kClaimChunk elements (all of
  // them by the end of `unclaimed`, or, without it, running ahead).
  struct HalvesShare {
    Ranges claimed, unclaimed;
    int64_t claim_per_chunk = 0;
  };
  // Walks the 64-byte lines of `ranges` of w, issuing prefetchw.
  class LineClaimer {
   public:
    LineClaimer(const float* w, const Ranges& ranges)
        : w_(w), ranges_(ranges),
          at_(ranges.empty() ? 0 : ranges[0].first) {}
    void Next(int64_t lines) {
      for (; lines > 0 && range_ < ranges_.size(); --lines) {
        PrefetchForWrite(w_ + at_);
        at_ += kLineFloats;
        if (at_ >= ranges_[range_].second && ++range_ < ranges_.size()) {
          at_ = ranges_[range_].first;
        }
      }
    }

   private:
    static void PrefetchForWrite(const float* p) {
#if defined(__x86_64__)
      asm volatile("prefetchw %0" : : "m"(*p));
#else
      __builtin_prefetch(p, 1, 3);
#endif
    }
    const float* w_;
    const Ranges& ranges_;
    size_t range_ = 0;
    int64_t at_;
  };
  // Clipping aside, what a step does before its update: the learning rate,
  // the slots, Prepare.
  void BeginStep(ParameterStore& store);
  // Applies the update with gradients g (flat): to `ranges` (ascending
  // ranges of the flat buffer), split over the OpenMP team as
  // ParallelRanges does (as one buffer of their total length), or, in a
  // kKernelHalves step (engine/parallel.h), to the two threads' shares
  // that PlanHalves made (the second halves of the split kernels on one
  // thread, everything else on the calling thread; `ranges` unused).
  // When this Step keeps a bf16 mirror, each thread updates its range in
  // chunks of kMirrorChunk elements and converts each chunk's weights right
  // after, while they are in L1 (converting a whole range after its update
  // re-read the weights from L3: Nadam with the mirror, 268,978 weights, 101
  // -> 93 us on 1 thread, 55 -> 50 us on 2, BM_OptimizerStep/
  // nadam_bf16_mirror; 256- and 4096-element chunks were slower). (Writing
  // the mirror inside the update's loop, as a fifth stream, did not scale to
  // two threads: a batch-32 step of the seed BN model took 380 us instead
  // of 335.) Each element is updated once, by the same code, whatever the
  // split.
  // In a kKernelHalves step without a mirror (float32), the start of every
  // range of a thread's own that begins where a split kernel half ends
  // (kClaimElements of it) is updated last, and each thread asks for those
  // lines with write intent (prefetchw) a few per chunk while it updates
  // the rest: the forward product of the half before such a range
  // (oneDNN's f32 gemm, on the other thread) reads ~128-192 KiB past the
  // end of its kernel rows, so the other core holds copies of those lines,
  // and the update's stores, each waiting for that core to drop its copy,
  // ran ~3x slower far apart. (Claiming them with one store per line before
  // the update, as at first, cost thread 1 ~14 us per step far apart;
  // prefetchw for all of them at once changed nothing.) In float32 up to
  // 32 rows the forward product is RowsProduct, which reads no line past
  // its rows; the claims then only prefetch lines this thread owns.
  void UpdateRanges(const Ranges& ranges, const float* g);
  // Apply to flat elements [begin, end), gradients from g[0, end - begin).
  void ApplyAt(int64_t begin, int64_t end, const float* g) const;
  // Splits the elements not updated early into the two threads' shares of
  // a kKernelHalves Step.
  void PlanHalves(const ParameterStore& store, int64_t n, bool mirror);
  bool UpdatedEarly(const Parameter& p, int id) const;

  void Clip(ParameterStore& store);
  void EnsureSlots(int64_t n);

  OptimizerOptions options_;
  static constexpr int64_t kMirrorChunk = 1024;  // 4 KiB of each stream
  // How much of a range after a split kernel half is claimed (192 KiB of
  // weights; measured far apart on the 784x300 kernel with a store per
  // line: 16 Ki elements took Nadam's share on thread 0 from ~140 to ~92
  // us, 48 Ki to ~70; past 32 Ki the lines were no longer contended).
  static constexpr int64_t kClaimElements = 49152;
  static constexpr int64_t kClaimChunk = 1024;
  static constexpr int64_t kLineFloats = 16;
  int64_t iterations_ = 0;
  // From BeginStep to the end of Step: the weights, their bf16 mirror (null
  // without one) and the slots' data.
  float* step_w_ = nullptr;
  uint16_t* step_w_bf16_ = nullptr;
  float* step_slots_[kMaxSlots] = {};
  // Between BeginEarlyUpdates and Step: true, and the parameters updated.
  bool early_ = false;
  std::vector<int> early_ids_;
  // A whole-team Step's ranges: everything but the parameters updated
  // early (kept for its capacity: no allocation per step).
  Ranges ranges_left_;
  // During a kKernelHalves Step: true, and each thread's share.
  bool in_halves_step_ = false;
  HalvesShare step_share_[2];
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
