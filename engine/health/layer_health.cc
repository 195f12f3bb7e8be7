#include "engine/health/layer_health.h"

#include <algorithm>
#include <cmath>

#include "engine/layers/activation_layer.h"
#include "engine/layers/dense.h"

namespace profundo {
namespace {

ActivationKind OutputActivation(const Layer& layer) {
  if (const auto* d = dynamic_cast<const Dense*>(&layer))
    return d->activation();
  if (const auto* a = dynamic_cast<const ActivationLayerBase*>(&layer)) {
    return a->activation();
  }
  return ActivationKind::kLinear;
}

// The reductions are vectorized (omp simd): a seed-sized model's kernels
// are ~270k floats, passed over four times per report.
double L2(const float* v, int64_t n) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(v[i]) * v[i];
  return std::sqrt(s);
}

void ActivationStats(const Tensor& y, ActivationKind kind, LayerHealth* h) {
  const int64_t n = y.size();
  if (n == 0) return;
  const float* v = y.data();
  double s = 0, s2 = 0;
#pragma omp simd reduction(+ : s, s2)
  for (int64_t i = 0; i < n; ++i) {
    s += v[i];
    s2 += static_cast<double>(v[i]) * v[i];
  }
  h->act_mean = s / n;
  h->act_std = std::sqrt(std::max(0.0, s2 / n - h->act_mean * h->act_mean));
  if (kind == ActivationKind::kRelu && y.rank() >= 1 && y.dim(0) > 0) {
    const int64_t rows = y.dim(0), units = y.row_size();
    int64_t dead = 0;
    for (int64_t j = 0; j < units; ++j) {
      bool all_zero = true;
      for (int64_t r = 0; r < rows && all_zero; ++r) {
        all_zero = v[r * units + j] == 0.0f;
      }
      dead += all_zero;
    }
    h->dead_fraction = units ? static_cast<double>(dead) / units : 0.0;
  } else if (kind == ActivationKind::kSigmoid ||
             kind == ActivationKind::kTanh) {
    int64_t saturated = 0;
    for (int64_t i = 0; i < n; ++i) {
      saturated += kind == ActivationKind::kSigmoid
                       ? (v[i] < 0.01f || v[i] > 0.99f)
                       : (std::fabs(v[i]) > 0.99f);
    }
    h->saturated_fraction = static_cast<double>(saturated) / n;
  }
}

}  // namespace

HealthMonitor::HealthMonitor(const std::vector<std::unique_ptr<Layer>>& layers,
                             const ParameterStore& params)
    : layers_(layers), params_(params) {
  kernel_ids_.assign(layers.size(), -1);
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string name = layers[i]->name() + "/kernel";
    for (size_t id = 0; id < params.params().size(); ++id) {
      const Parameter& p = params.params()[id];
      if (p.name == name && p.trainable) kernel_ids_[i] = static_cast<int>(id);
    }
  }
  before_.resize(layers.size());
}

void HealthMonitor::BeforeStep(const std::vector<Tensor>& acts,
                               HealthReport* report) {
  report->layers.assign(layers_.size(), LayerHealth());
  for (size_t i = 0; i < layers_.size(); ++i) {
    LayerHealth& h = report->layers[i];
    h.name = layers_[i]->name();
    h.type = layers_[i]->type();
    h.activation = OutputActivation(*layers_[i]);
    if (i + 1 < acts.size()) ActivationStats(acts[i + 1], h.activation, &h);
    const int id = kernel_ids_[i];
    if (id < 0) continue;
    const int64_t size = params_.param(id).size;
    h.has_kernel = true;
    h.grad_norm = L2(params_.grad(id), size);
    const float* w = params_.value(id);
    before_[i].assign(w, w + size);
  }
}

void HealthMonitor::AfterStep(HealthReport* report) const {
  for (size_t i = 0; i < layers_.size() && i < report->layers.size(); ++i) {
    const int id = kernel_ids_[i];
    if (id < 0) continue;
    LayerHealth& h = report->layers[i];
    const float* w = params_.value(id);
    const int64_t size = params_.param(id).size;
    double d2 = 0;
#pragma omp simd reduction(+ : d2)
    for (int64_t k = 0; k < size; ++k) {
      const double d = static_cast<double>(w[k]) - before_[i][k];
      d2 += d * d;
    }
    h.weight_norm = L2(w, size);
    h.update_ratio = h.weight_norm > 0 ? std::sqrt(d2) / h.weight_norm : 0.0;
  }
}

}  // namespace profundo
