// ParameterStore: every weight of a model in two flat float buffers, one for
// trainable parameters (with a gradient buffer of the same layout) and one
// for non-trainable state (batch norm's moving statistics). Optimizers,
// clipping, checkpoints and a future MPI allreduce work on the flat buffers;
// layers address their tensors by id.
//
// Lifecycle: layers Add() during Build, the model calls Allocate() once, then
// pointers from value()/grad() stay valid for the store's lifetime.
//
// Owned by the Model. Not thread-safe.
#ifndef PROFUNDO_ENGINE_PARAMETERS_H_
#define PROFUNDO_ENGINE_PARAMETERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/constraints/max_norm.h"
#include "engine/regularizers/regularizer.h"
#include "engine/tensor.h"

namespace profundo {

// One named weight tensor: a slice of the store's flat buffers.
struct Parameter {
  std::string name;  // "dense/kernel", Keras's naming
  Shape shape;       // Dense kernel: [fan_in, units] (Keras layout)
  bool trainable = true;
  int64_t offset = 0;  // into trainable or non-trainable buffer
  int64_t size = 0;
  Regularizer regularizer;           // l1/l2 factors, zero when none
  std::optional<MaxNorm> constraint; // applied after every update
  // > 0: a layer's training steps split this [fan_in, units] kernel's rows
  // at this row between two threads (SplitInnerProduct, set by Dense); in
  // kKernelHalves steps (engine/parallel.h) the optimizer updates rows
  // [split_row, fan_in) on the second thread too. Not saved.
  int64_t split_row = 0;
  // A trainable kernel whose rows a layer splits (split_row set).
  bool rows_split() const {
    return trainable && split_row > 0 && shape.size() == 2;
  }
};

class ParameterStore {
 public:
  ParameterStore() = default;
  ParameterStore(const ParameterStore&) = delete;
  ParameterStore& operator=(const ParameterStore&) = delete;

  // Declares a parameter; returns its id. Only before Allocate().
  int Add(std::string name, Shape shape, bool trainable);
  // Allocates both buffers (zero-filled). Call once, after all Add()s.
  void Allocate();
  bool allocated() const { return allocated_; }

  Parameter& param(int id) { return params_[id]; }
  const Parameter& param(int id) const { return params_[id]; }
  const std::vector<Parameter>& params() const { return params_; }

  float* value(int id);
  const float* value(int id) const;
  // Gradient of a trainable parameter.
  float* grad(int id);
  const float* grad(int id) const;

  // Non-const access marks the bf16 mirror stale (MarkValuesChanged).
  std::vector<float>& trainable_values() {
    MarkValuesChanged();
    return trainable_;
  }
  const std::vector<float>& trainable_values() const { return trainable_; }
  std::vector<float>& grads() { return grads_; }
  const std::vector<float>& grads() const { return grads_; }
  std::vector<float>& non_trainable_values() { return non_trainable_; }
  const std::vector<float>& non_trainable_values() const {
    return non_trainable_;
  }

  int64_t trainable_count() const { return trainable_size_; }
  int64_t non_trainable_count() const { return non_trainable_size_; }
  void ZeroGrads();

  // mixed_bfloat16's bf16 mirror of the trainable buffer (same layout), the
  // weights operand of layers that run oneDNN in bf16 (Dense). Requested
  // before Allocate(), which allocates it. It is "current" only from an
  // Optimizer::Step that wrote it as it updated the values until the next
  // non-const trainable_values() call or MarkValuesChanged() (the Model
  // calls it on entry to Fit, Evaluate and the predictions); a layer that
  // finds it not current converts its own parameters into it first.
  void RequestBfloat16Mirror();
  bool has_bfloat16_mirror() const { return !bf16_.empty(); }
  uint16_t* bfloat16_value(int id);  // a trainable parameter's bf16 copy
  uint16_t* bfloat16_values() { return bf16_.data(); }
  bool bfloat16_mirror_current() const { return bf16_current_; }
  void set_bfloat16_mirror_current() { bf16_current_ = true; }
  void MarkValuesChanged() {
    bf16_current_ = false;
    ++values_generation_;
  }
  // Counts MarkValuesChanged() and non-const trainable_values() calls: a
  // layer's own copy of its weights made at generation g (Dense's blocked
  // inference kernel) is current while values_generation() is still g --
  // the bf16 mirror's contract (writes through value(id) do not count).
  int64_t values_generation() const { return values_generation_; }

 private:
  std::vector<Parameter> params_;
  int64_t trainable_size_ = 0;
  int64_t non_trainable_size_ = 0;
  bool allocated_ = false;
  std::vector<float> trainable_;
  std::vector<float> grads_;
  std::vector<float> non_trainable_;
  bool bf16_requested_ = false;
  bool bf16_current_ = false;
  int64_t values_generation_ = 0;
  std::vector<uint16_t> bf16_;  // mirror of trainable_, when requested
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_PARAMETERS_H_
