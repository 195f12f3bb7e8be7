// BatchNormalization: Keras's layer over the last axis (axis=-1).
//   kTrain:             dst = gamma * (src - mean_B) / sqrt(var_B + eps) + beta
//                       with the batch mean and biased variance (divide by N)
//                       over every axis but the last, then
//                       moving -= (moving - batch_stat) * (1 - momentum).
//   kInference, kMcSample: the same with the moving statistics.
//
// Parameters, in Keras's order (4 per feature, 2 non-trainable):
//   "<name>/gamma" [C] trainable, ones     (only when scale)
//   "<name>/beta"  [C] trainable, zeros    (only when center)
//   "<name>/moving_mean" [C] non-trainable, zeros
//   "<name>/moving_variance" [C] non-trainable, ones
//
// Hand-written vectorized loops over the data as row-major [rows, C] (every
// axis but the last is a row): per-column statistics and y = x * a + b in
// two passes (AVX2/AVX-512 clones), split over OpenMP threads by column
// ranges for large batches only (engine/parallel.h ParallelColumns), so each
// column's sums run in the same order for any thread count. (oneDNN 2.6 runs
// C = 300 and C = 100 on its SSE4.1 kernel and opens a parallel region per
// call even for a batch of 32.) As the model's first trainable layer it
// can take its gradients from the next layer's column sums
// (TakesColumnSums, layer.h). Forward in kTrain keeps the batch mean and
// variance for Backward. The training step allocates nothing.
//
// Owns its batch statistics and per-column scratch. Not thread-safe
// (engine/layers/layer.h).
#ifndef PROFUNDO_ENGINE_LAYERS_BATCH_NORMALIZATION_H_
#define PROFUNDO_ENGINE_LAYERS_BATCH_NORMALIZATION_H_

#include <string>
#include <vector>

#include "engine/layers/layer.h"

namespace profundo {

struct BatchNormalizationOptions {
  // -1, or the per-sample rank (the last axis counting the batch axis).
  int axis = -1;
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;  // learn beta
  bool scale = true;   // learn gamma
};

class BatchNormalization final : public Layer {
 public:
  BatchNormalization(std::string name, BatchNormalizationOptions options);
  ~BatchNormalization() override;

  const char* type() const override { return "BatchNormalization"; }
  absl::StatusOr<Shape> Build(const Shape& input_shape,
                              ParameterStore& store) override;
  void Initialize(ParameterStore& store, Rng& rng) override;
  void Forward(const Tensor& src, Tensor* dst, Mode mode,
               Context& ctx) override;
  void Backward(const Tensor& src, const Tensor& dst, const Tensor& diff_dst,
                Tensor* diff_src, Context& ctx) override;
  // As the first layer: diff_beta = sum dy and diff_gamma = sum dy xhat
  // = (sum dy dst - beta sum dy) / gamma. Taken when every column has
  // |gamma| >= kMinGamma and |beta| <= kMaxBetaOverGamma |gamma|, which
  // bounds the cancellation in that difference (rounding errors grow at
  // most 1 + kMaxBetaOverGamma times).
  static constexpr float kMaxBetaOverGamma = 4.f;
  static constexpr float kMinGamma = 1e-20f;
  bool TakesColumnSums(const Context& ctx) const override;
  void BackwardFromColumnSums(const Tensor& src, const Tensor& dst,
                              const ColumnSums& dst_sums,
                              Context& ctx) override;

  const BatchNormalizationOptions& options() const { return options_; }
  int64_t features() const { return features_; }
  int gamma_id() const { return gamma_id_; }  // -1 without scale
  int beta_id() const { return beta_id_; }    // -1 without center
  int moving_mean_id() const { return moving_mean_id_; }
  int moving_variance_id() const { return moving_variance_id_; }
  // Statistics of the last kTrain batch, [C] each.
  const std::vector<float>& batch_mean() const { return batch_mean_; }
  const std::vector<float>& batch_variance() const { return batch_variance_; }

 private:
  // gamma / beta of ctx.params (one per column), or null without scale /
  // center: read them with ValueOr (1 / 0 when null). Fetched once per
  // call, not per column (a per-column ParameterStore::value was ~1.5% of
  // a batch-32 step's samples).
  const float* GammaData(const Context& ctx) const;
  const float* BetaData(const Context& ctx) const;
  static float ValueOr(const float* p, int64_t c, float absent) {
    return p != nullptr ? p[c] : absent;
  }

  BatchNormalizationOptions options_;
  int64_t features_ = 0;
  int gamma_id_ = -1;
  int beta_id_ = -1;
  int moving_mean_id_ = -1;
  int moving_variance_id_ = -1;
  std::vector<float> batch_mean_;
  std::vector<float> batch_variance_;
  // [C] scratch: the affine y = x * a + b of a forward, the column sums of
  // a backward.
  std::vector<float> a_, b_, sum_dy_, sum_dy_xc_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_BATCH_NORMALIZATION_H_
