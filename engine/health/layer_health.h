// Per-layer training health: what a deep network looks like from inside
// during one training step (the seed's vanishing/exploding gradients, dead
// ReLUs, saturated sigmoids, SELU self-normalization).
//
// Model::Fit measures a HealthReport every FitOptions::health_every steps and
// hands it to FitOptions::on_health; engine/health/diagnosis.h turns reports
// into warnings. A HealthMonitor belongs to one Model and one fit; not
// thread-safe.
//
// Example:
//   FitOptions fit;
//   fit.health_every = 100;
//   fit.on_health = [](const HealthReport& r) {
//     for (const HealthWarning& w : Diagnose(r)) std::puts(w.message.c_str());
//   };
#ifndef PROFUNDO_ENGINE_HEALTH_LAYER_HEALTH_H_
#define PROFUNDO_ENGINE_HEALTH_LAYER_HEALTH_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/activations/activation.h"
#include "engine/layers/layer.h"
#include "engine/parameters.h"
#include "engine/tensor.h"

namespace profundo {

// One layer during one training step.
struct LayerHealth {
  std::string name;  // "dense_3"
  std::string type;  // "Dense"
  // The nonlinearity applied to this layer's output (Dense's activation or an
  // activation layer's); kLinear for other layers and for a head fused with
  // the loss (its output is then the logits).
  ActivationKind activation = ActivationKind::kLinear;
  // Only for layers with a "<name>/kernel" parameter:
  bool has_kernel = false;
  double grad_norm = 0;     // L2 norm of d loss / d kernel (before clipping)
  double weight_norm = 0;   // L2 norm of the kernel after the update
  double update_ratio = 0;  // ||kernel after - kernel before|| / weight_norm
  // Mean and standard deviation of the output over the batch and units.
  double act_mean = 0;
  double act_std = 0;
  // relu only: fraction of units whose output is exactly 0 for every sample
  // of the batch.
  std::optional<double> dead_fraction;
  // sigmoid (y < 0.01 or y > 0.99) and tanh (|y| > 0.99) only: fraction of
  // the batch's outputs that are saturated.
  std::optional<double> saturated_fraction;
};

struct HealthReport {
  int epoch = 0;     // from 0
  int64_t step = 0;  // global step (optimizer iterations before the update)
  double loss = 0;   // this batch's loss (with regularization)
  double learning_rate = 0;
  std::vector<LayerHealth> layers;  // in model order
};

class HealthMonitor {
 public:
  // `layers` and `params` must outlive the monitor (the Model's own).
  HealthMonitor(const std::vector<std::unique_ptr<Layer>>& layers,
                const ParameterStore& params);
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // After the backward pass, before the optimizer step: activation
  // statistics from `acts` (acts[i + 1] the output of layer i), gradient
  // norms, and a copy of every kernel for the update ratio.
  void BeforeStep(const std::vector<Tensor>& acts, HealthReport* report);
  // After the optimizer step: weight norms and update ratios.
  void AfterStep(HealthReport* report) const;

 private:
  const std::vector<std::unique_ptr<Layer>>& layers_;
  const ParameterStore& params_;
  std::vector<int> kernel_ids_;             // per layer, -1 without a kernel
  std::vector<std::vector<float>> before_;  // kernels before the step
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_HEALTH_LAYER_HEALTH_H_
