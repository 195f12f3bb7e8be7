// Layer: one forward/backward pair, Keras's layer semantics. Concrete layers
// live one per file pair in engine/layers/ (dense.h, batch_normalization.h,
// ...), built from the spec by layers/layer_factory.h.
//
// Tensors are [N, features...] row-major. The Model owns every activation:
// acts[0] is the batch, acts[i + 1] the output of layer i, and it hands a
// layer both its src and dst again in Backward, so a layer keeps only what
// cannot be recomputed cheaply (dropout masks, batch statistics, primitives).
//
// A layer is used by one thread at a time (see engine/context.h).
#ifndef PROFUNDO_ENGINE_LAYERS_LAYER_H_
#define PROFUNDO_ENGINE_LAYERS_LAYER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/context.h"
#include "engine/tensor.h"

namespace profundo {

// The column sums of a gradient over the rows of a batch: for y [N, C] and
// dy = d loss / d y, dy[c] = sum_n dy[n, c] and dy_y[c] = sum_n dy[n, c] y[n,
// c]. All that a first layer computing per-column parameter gradients
// (BatchNormalization on the input) needs from the layer after it, which
// can often produce them without the [N, C] dy (Dense: from its own
// parameter gradients).
struct ColumnSums {
  std::vector<float> dy;
  std::vector<float> dy_y;
};

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  // Keras class name: "Dense", "BatchNormalization", ...
  virtual const char* type() const = 0;

  // Declares parameters in `store` (names prefixed with name()) and returns
  // the per-sample output shape for a per-sample `input_shape`. Called once.
  // Errors are INVALID_ARGUMENT naming the offending argument.
  virtual absl::StatusOr<Shape> Build(const Shape& input_shape,
                                      ParameterStore& store) = 0;

  // After store.Allocate(): draws initial values for this layer's parameters.
  virtual void Initialize(ParameterStore& store, Rng& rng) {}

  // src [N, in...] -> dst [N, out...]; `dst` is resized by the layer.
  virtual void Forward(const Tensor& src, Tensor* dst, Mode mode,
                       Context& ctx) = 0;

  // After a Forward in kTrain mode with the same src/dst: writes (not adds)
  // this layer's parameter gradients into ctx.params and, when diff_src is
  // not null, d loss / d src. diff_src is null for the first layer.
  virtual void Backward(const Tensor& src, const Tensor& dst,
                        const Tensor& diff_dst, Tensor* diff_src,
                        Context& ctx) = 0;

  // The model's shortcut for its first trainable layer L followed by M: if
  // L.TakesColumnSums(ctx) and M.BackwardToColumnSums(...) returns true, the
  // model calls L.BackwardFromColumnSums(...) with M's sums instead of
  // M.Backward with a diff_src and L.Backward with it as diff_dst.
  //
  // True if, as the first layer (no diff_src), this layer can compute its
  // parameter gradients from ColumnSums of (dst, diff_dst) as accurately as
  // from diff_dst, for the current parameter values.
  virtual bool TakesColumnSums(const Context& ctx) const { return false; }
  // After a kTrain Forward with the same src/dst: writes (not adds) this
  // layer's parameter gradients from `dst_sums`, the ColumnSums of
  // (dst, d loss / d dst).
  virtual void BackwardFromColumnSums(const Tensor& src, const Tensor& dst,
                                      const ColumnSums& dst_sums,
                                      Context& ctx) {}
  // Backward that writes, instead of a diff_src, its ColumnSums with src
  // into `src_sums` (resized). Returns false, having done nothing, if this
  // layer cannot (the default).
  virtual bool BackwardToColumnSums(const Tensor& src, const Tensor& dst,
                                    const Tensor& diff_dst,
                                    ColumnSums* src_sums, Context& ctx) {
    return false;
  }

  // The multiply-adds of the largest oneDNN primitive that a training step
  // of `rows` rows runs on the calling thread's whole team (0: none; the
  // layer's parallel work is engine/parallel.h's, or small). `diff_src`:
  // whether its Backward computes one. Fit runs a step on a PairRegion,
  // where oneDNN gets one thread, only if every layer's is small
  // (Model::StepFitsPairRegion).
  virtual int64_t TeamDnnlMacs(int64_t rows, bool diff_src) const {
    return 0;
  }

  // True for layers whose Forward differs between kInference and kMcSample
  // (dropout layers); MC prediction needs at least one.
  virtual bool stochastic() const { return false; }

  // True if Forward in `mode` would only copy src to dst and leave nothing a
  // Backward needs (Dropout outside training): the model then hands the
  // next layer the batch itself instead of calling Forward.
  virtual bool IdentityIn(Mode mode) const { return false; }

  // True for layers whose Forward only reshapes (dst holds src's values in
  // the same order: Flatten). The model gathers a batch straight into the
  // output of its leading reshape-only layers and skips them.
  virtual bool reshapes_only() const { return false; }

 private:
  std::string name_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_LAYER_H_
