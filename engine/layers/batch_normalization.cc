#include "engine/layers/batch_normalization.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/layers/dnnl_util.h"

namespace profundo {

using dnnl::memory;
using dnnl::normalization_flags;
using dnnl::prop_kind;

// Primitives for one row count; each mode's primitive is built on first use.
// Memory objects are shared across them and bound on every call.
struct BatchNormalization::Primitives {
  int64_t rows = 0;
  memory::desc data_md;
  memory src, dst, scale, shift, mean, variance;
  memory diff_dst, diff_src, diff_scale, diff_shift;

  bool has_train = false;
  dnnl::batch_normalization_forward::primitive_desc train_pd;
  dnnl::primitive train;
  DnnlArgs train_args;

  bool has_inference = false;
  dnnl::primitive inference;
  DnnlArgs inference_args;

  bool has_bwd = false;
  dnnl::primitive bwd;
  DnnlArgs bwd_args;
};

BatchNormalization::BatchNormalization(std::string name,
                                       BatchNormalizationOptions options)
    : Layer(std::move(name)), options_(std::move(options)) {}

BatchNormalization::~BatchNormalization() = default;

absl::StatusOr<Shape> BatchNormalization::Build(const Shape& input_shape,
                                                ParameterStore& store) {
  if (input_shape.empty() || input_shape.back() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "BatchNormalization needs a per-sample input with a last axis, got ",
        ShapeToString(input_shape)));
  }
  const int rank = static_cast<int>(input_shape.size());
  if (options_.axis != -1 && options_.axis != rank) {
    return absl::InvalidArgumentError(
        absl::StrCat("axis must be -1 (the last axis, ", rank,
                     " for this input), got ", options_.axis));
  }
  features_ = input_shape.back();
  const Shape c{features_};
  if (options_.scale) gamma_id_ = store.Add(name() + "/gamma", c, true);
  if (options_.center) beta_id_ = store.Add(name() + "/beta", c, true);
  moving_mean_id_ = store.Add(name() + "/moving_mean", c, false);
  moving_variance_id_ = store.Add(name() + "/moving_variance", c, false);
  batch_mean_.assign(features_, 0.f);
  batch_variance_.assign(features_, 1.f);
  return input_shape;
}

void BatchNormalization::Initialize(ParameterStore& store, Rng& rng) {
  if (gamma_id_ >= 0) std::fill_n(store.value(gamma_id_), features_, 1.f);
  if (beta_id_ >= 0) std::fill_n(store.value(beta_id_), features_, 0.f);
  std::fill_n(store.value(moving_mean_id_), features_, 0.f);
  std::fill_n(store.value(moving_variance_id_), features_, 1.f);
}

namespace {

normalization_flags Flags(const BatchNormalizationOptions& o) {
  normalization_flags flags = normalization_flags::none;
  if (o.scale) flags |= normalization_flags::use_scale;
  if (o.center) flags |= normalization_flags::use_shift;
  return flags;
}

}  // namespace

BatchNormalization::Primitives& BatchNormalization::Get(int64_t rows,
                                                        Context& ctx) {
  return cache_.Get(rows, [&] {
    const dnnl::engine& eng = ctx.dnnl.engine;
    auto p = std::make_unique<Primitives>();
    p->rows = rows;
    p->data_md = memory::desc({rows, features_, 1, 1}, memory::data_type::f32,
                              memory::format_tag::nhwc);
    const memory::desc c_md = VectorMd(features_);
    p->src = UnboundMemory(p->data_md, eng);
    p->dst = UnboundMemory(p->data_md, eng);
    p->diff_dst = UnboundMemory(p->data_md, eng);
    p->diff_src = UnboundMemory(p->data_md, eng);
    p->scale = UnboundMemory(c_md, eng);
    p->shift = UnboundMemory(c_md, eng);
    p->mean = UnboundMemory(c_md, eng);
    p->variance = UnboundMemory(c_md, eng);
    p->diff_scale = UnboundMemory(c_md, eng);
    p->diff_shift = UnboundMemory(c_md, eng);
    return p;
  });
}

void BatchNormalization::BuildTraining(Primitives& p, Context& ctx) {
  p.train_pd = dnnl::batch_normalization_forward::primitive_desc(
      {prop_kind::forward_training, p.data_md, float(options_.epsilon),
       Flags(options_)},
      LayerAttr(), ctx.dnnl.engine);
  p.train = dnnl::batch_normalization_forward(p.train_pd);
  p.train_args = {{DNNL_ARG_SRC, p.src},
                  {DNNL_ARG_DST, p.dst},
                  {DNNL_ARG_MEAN, p.mean},
                  {DNNL_ARG_VARIANCE, p.variance}};
  if (options_.scale) p.train_args.insert({DNNL_ARG_SCALE, p.scale});
  if (options_.center) p.train_args.insert({DNNL_ARG_SHIFT, p.shift});
  AddScratchpad(p.train_pd, ctx.dnnl.engine, &p.train_args);
  p.has_train = true;
  ++builds_;
}

void BatchNormalization::BuildInference(Primitives& p, Context& ctx) {
  const dnnl::batch_normalization_forward::primitive_desc pd(
      {prop_kind::forward_inference, p.data_md, float(options_.epsilon),
       Flags(options_) | normalization_flags::use_global_stats},
      LayerAttr(), ctx.dnnl.engine);
  p.inference = dnnl::batch_normalization_forward(pd);
  p.inference_args = {{DNNL_ARG_SRC, p.src},
                      {DNNL_ARG_DST, p.dst},
                      {DNNL_ARG_MEAN, p.mean},
                      {DNNL_ARG_VARIANCE, p.variance}};
  if (options_.scale) p.inference_args.insert({DNNL_ARG_SCALE, p.scale});
  if (options_.center) p.inference_args.insert({DNNL_ARG_SHIFT, p.shift});
  AddScratchpad(pd, ctx.dnnl.engine, &p.inference_args);
  p.has_inference = true;
  ++builds_;
}

void BatchNormalization::BuildBackward(Primitives& p, Context& ctx) {
  if (!p.has_train) BuildTraining(p, ctx);
  const bool has_params = options_.scale || options_.center;
  const dnnl::batch_normalization_backward::primitive_desc pd(
      {has_params ? prop_kind::backward : prop_kind::backward_data, p.data_md,
       p.data_md, float(options_.epsilon), Flags(options_)},
      LayerAttr(), ctx.dnnl.engine, p.train_pd);
  p.bwd = dnnl::batch_normalization_backward(pd);
  p.bwd_args = {{DNNL_ARG_SRC, p.src},
                {DNNL_ARG_MEAN, p.mean},
                {DNNL_ARG_VARIANCE, p.variance},
                {DNNL_ARG_DIFF_DST, p.diff_dst},
                {DNNL_ARG_DIFF_SRC, p.diff_src}};
  // oneDNN 2.6 wants SHIFT bound in backward when use_shift is set, though
  // the gradient does not depend on it.
  if (options_.scale) {
    p.bwd_args.insert({DNNL_ARG_SCALE, p.scale});
    p.bwd_args.insert({DNNL_ARG_DIFF_SCALE, p.diff_scale});
  }
  if (options_.center) {
    p.bwd_args.insert({DNNL_ARG_SHIFT, p.shift});
    p.bwd_args.insert({DNNL_ARG_DIFF_SHIFT, p.diff_shift});
  }
  AddScratchpad(pd, ctx.dnnl.engine, &p.bwd_args);
  p.has_bwd = true;
  ++builds_;
}

void BatchNormalization::BindParams(Primitives& p, Context& ctx) {
  if (gamma_id_ >= 0) BindData(p.scale, ctx.params.value(gamma_id_));
  if (beta_id_ >= 0) BindData(p.shift, ctx.params.value(beta_id_));
}

void BatchNormalization::Forward(const Tensor& src, Tensor* dst, Mode mode,
                                 Context& ctx) {
  dst->Resize(src.shape());
  const int64_t rows = src.size() / features_;
  if (rows == 0) return;
  RunDnnl(name(), [&] {
    Primitives& p = Get(rows, ctx);
    BindData(p.src, src.data());
    BindData(p.dst, dst->data());
    BindParams(p, ctx);
    if (mode == Mode::kTrain) {
      if (!p.has_train) BuildTraining(p, ctx);
      BindData(p.mean, batch_mean_.data());
      BindData(p.variance, batch_variance_.data());
      p.train.execute(ctx.dnnl.stream, p.train_args);
    } else {
      if (!p.has_inference) BuildInference(p, ctx);
      BindData(p.mean, ctx.params.value(moving_mean_id_));
      BindData(p.variance, ctx.params.value(moving_variance_id_));
      p.inference.execute(ctx.dnnl.stream, p.inference_args);
    }
    ctx.dnnl.stream.wait();
  });
  if (mode != Mode::kTrain) return;
  // Keras's assign_moving_average: moving -= (moving - batch) * (1 - m).
  const float decay = static_cast<float>(1.0 - options_.momentum);
  float* moving_mean = ctx.params.value(moving_mean_id_);
  float* moving_variance = ctx.params.value(moving_variance_id_);
  for (int64_t c = 0; c < features_; ++c) {
    moving_mean[c] -= (moving_mean[c] - batch_mean_[c]) * decay;
    moving_variance[c] -= (moving_variance[c] - batch_variance_[c]) * decay;
  }
}

void BatchNormalization::Backward(const Tensor& src, const Tensor& dst,
                                  const Tensor& diff_dst, Tensor* diff_src,
                                  Context& ctx) {
  Tensor* dx = diff_src != nullptr ? diff_src : &diff_src_scratch_;
  dx->Resize(src.shape());
  const int64_t rows = src.size() / features_;
  if (rows == 0) {
    if (gamma_id_ >= 0) std::fill_n(ctx.params.grad(gamma_id_), features_, 0.f);
    if (beta_id_ >= 0) std::fill_n(ctx.params.grad(beta_id_), features_, 0.f);
    return;
  }
  RunDnnl(name(), [&] {
    Primitives& p = Get(rows, ctx);
    if (!p.has_bwd) BuildBackward(p, ctx);
    BindData(p.src, src.data());
    BindData(p.mean, batch_mean_.data());
    BindData(p.variance, batch_variance_.data());
    BindData(p.diff_dst, diff_dst.data());
    BindData(p.diff_src, dx->data());
    BindParams(p, ctx);
    if (gamma_id_ >= 0) BindData(p.diff_scale, ctx.params.grad(gamma_id_));
    if (beta_id_ >= 0) BindData(p.diff_shift, ctx.params.grad(beta_id_));
    p.bwd.execute(ctx.dnnl.stream, p.bwd_args);
    ctx.dnnl.stream.wait();
  });
}

}  // namespace profundo
