// DropoutBase: the machinery of the four dropout layers (Dropout,
// AlphaDropout, MCDropout, MCAlphaDropout). Per element, a unit is kept when
// U >= rate for U uniform in [0, 1), then
//   kept:    dst = kept_scale * src + kept_shift
//   dropped: dst = dropped_value
// and d dst / d src is kept_scale or 0 (the mask Forward keeps for
// Backward). When inactive, or with rate 0, the layer is the identity.
// Randomness: one draw of the model's Rng per active Forward is the key of a
// counter-based generator (element i's U is a hash of (key, i)), so the
// mask is the same for any OpenMP thread count and the loop vectorizes.
//
// Active in kTrain and kMcSample; in kInference only when always_active
// (the MC variants). Derived classes only choose the transform and the flag.
//
// Owns its mask. Not thread-safe (engine/layers/layer.h).
#ifndef PROFUNDO_ENGINE_LAYERS_DROPOUT_BASE_H_
#define PROFUNDO_ENGINE_LAYERS_DROPOUT_BASE_H_

#include <string>
#include <vector>

#include "engine/layers/layer.h"

namespace profundo {

class DropoutBase : public Layer {
 public:
  absl::StatusOr<Shape> Build(const Shape& input_shape,
                              ParameterStore& store) override;
  void Forward(const Tensor& src, Tensor* dst, Mode mode,
               Context& ctx) override;
  void Backward(const Tensor& src, const Tensor& dst, const Tensor& diff_dst,
                Tensor* diff_src, Context& ctx) override;
  bool stochastic() const override { return true; }
  bool IdentityIn(Mode mode) const override {
    return mode != Mode::kTrain && (rate_ == 0 || !ActiveIn(mode));
  }

  // What a kept and a dropped unit become.
  struct Transform {
    float kept_scale;
    float kept_shift;
    float dropped_value;
  };

  double rate() const { return rate_; }
  bool always_active() const { return always_active_; }
  // Whether Forward drops units in `mode`.
  bool ActiveIn(Mode mode) const {
    return mode != Mode::kInference || always_active_;
  }

 protected:
  // rate in [0, 1).
  DropoutBase(std::string name, double rate, Transform transform,
              bool always_active);

 private:
  double rate_;
  Transform transform_;
  bool always_active_;
  bool last_active_ = false;  // whether the last Forward dropped units
  std::vector<float> mask_;   // d dst / d src of the last active Forward
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_DROPOUT_BASE_H_
