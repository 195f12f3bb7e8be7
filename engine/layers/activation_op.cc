#include "engine/layers/activation_op.h"

#include <cstring>
#include <memory>

#include "engine/layers/dnnl_util.h"

namespace profundo {

using dnnl::algorithm;
using dnnl::prop_kind;

// The primitives for one [rows, cols]. Backward ones are built on first use
// (prediction-only batch sizes never need them).
struct ActivationOp::Primitives {
  dnnl::memory src, dst;
  dnnl::primitive fwd;
  DnnlArgs fwd_args;
  dnnl::eltwise_forward::primitive_desc eltwise_pd;
  dnnl::softmax_forward::primitive_desc softmax_pd;
  // SELU only: dst *= scale, in place after the elu.
  dnnl::primitive scale;
  DnnlArgs scale_args;

  bool has_bwd = false;
  dnnl::memory bwd_data, diff_dst, diff_src;  // bwd_data views the fwd dst
  dnnl::primitive bwd;
  DnnlArgs bwd_args;
};

namespace {

// The eltwise algorithm and alpha for a kind (not softmax/linear). Leaky
// ReLU with a positive slope uses plain eltwise_relu, whose backward reads
// src; we hand it dst, which has the same sign.
std::pair<algorithm, float> EltwiseAlgorithm(ActivationKind kind,
                                             double alpha) {
  switch (kind) {
    case ActivationKind::kSigmoid:
      return {algorithm::eltwise_logistic_use_dst_for_bwd, 0.f};
    case ActivationKind::kTanh:
      return {algorithm::eltwise_tanh_use_dst_for_bwd, 0.f};
    case ActivationKind::kLeakyRelu:
      if (alpha != 0) return {algorithm::eltwise_relu, float(alpha)};
      return {algorithm::eltwise_relu_use_dst_for_bwd, 0.f};
    case ActivationKind::kElu:
      return {algorithm::eltwise_elu_use_dst_for_bwd, float(alpha)};
    case ActivationKind::kSelu:
      return {algorithm::eltwise_elu, float(kSeluAlpha)};
    default:
      return {algorithm::eltwise_relu_use_dst_for_bwd, 0.f};
  }
}

}  // namespace

bool ActivationOp::AppendPostOp(dnnl::post_ops* ops) const {
  switch (kind_) {
    case ActivationKind::kSigmoid:
    case ActivationKind::kTanh:
    case ActivationKind::kRelu:
    case ActivationKind::kLeakyRelu:
    case ActivationKind::kElu: {
      // The *_use_dst_for_bwd algorithms compute the same forward.
      const auto [alg, alpha] = EltwiseAlgorithm(kind_, alpha_);
      ops->append_eltwise(1.f, alg, alpha, 0.f);
      return true;
    }
    default:
      return false;
  }
}

ActivationOp::ActivationOp(ActivationKind kind, double alpha)
    : kind_(kind), alpha_(alpha) {}

ActivationOp::ActivationOp(ActivationKind kind)
    : ActivationOp(kind, DefaultAlpha(kind)) {}

ActivationOp::~ActivationOp() = default;

double ActivationOp::DefaultAlpha(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kLeakyRelu:
      return kDefaultLeakyReluAlpha;
    case ActivationKind::kElu:
      return kDefaultEluAlpha;
    case ActivationKind::kSelu:
      return kSeluAlpha;
    default:
      return 0.0;
  }
}

ActivationOp::Primitives& ActivationOp::Get(int64_t rows, int64_t cols,
                                            DnnlContext& dnnl) {
  return cache_.Get({rows, cols}, [&] {
    auto p = std::make_unique<Primitives>();
    const dnnl::memory::desc md = RowMajorMd(rows, cols);
    p->src = UnboundMemory(md, dnnl.engine);
    p->dst = UnboundMemory(md, dnnl.engine);
    p->fwd_args = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_DST, p->dst}};
    const dnnl::primitive_attr attr = LayerAttr();
    if (kind_ == ActivationKind::kSoftmax) {
      p->softmax_pd = dnnl::softmax_forward::primitive_desc(
          {prop_kind::forward_training, md, 1}, attr, dnnl.engine);
      p->fwd = dnnl::softmax_forward(p->softmax_pd);
      AddScratchpad(p->softmax_pd, dnnl.engine, &p->fwd_args);
      return p;
    }
    const auto [alg, alpha] = EltwiseAlgorithm(kind_, alpha_);
    p->eltwise_pd = dnnl::eltwise_forward::primitive_desc(
        {prop_kind::forward_training, alg, md, alpha}, attr, dnnl.engine);
    p->fwd = dnnl::eltwise_forward(p->eltwise_pd);
    AddScratchpad(p->eltwise_pd, dnnl.engine, &p->fwd_args);
    if (kind_ == ActivationKind::kSelu) {
      const dnnl::eltwise_forward::primitive_desc scale_pd(
          {prop_kind::forward_training, algorithm::eltwise_linear, md,
           float(kSeluScale), 0.f},
          attr, dnnl.engine);
      p->scale = dnnl::eltwise_forward(scale_pd);
      p->scale_args = {{DNNL_ARG_SRC, p->dst}, {DNNL_ARG_DST, p->dst}};
      AddScratchpad(scale_pd, dnnl.engine, &p->scale_args);
    }
    return p;
  });
}

void ActivationOp::BuildBackward(Primitives& p, int64_t rows, int64_t cols,
                                 DnnlContext& dnnl) {
  const dnnl::memory::desc md = RowMajorMd(rows, cols);
  p.bwd_data = UnboundMemory(md, dnnl.engine);
  p.diff_dst = UnboundMemory(md, dnnl.engine);
  p.diff_src = UnboundMemory(md, dnnl.engine);
  const dnnl::primitive_attr attr = LayerAttr();
  if (kind_ == ActivationKind::kSoftmax) {
    const dnnl::softmax_backward::primitive_desc pd({md, md, 1}, attr,
                                                    dnnl.engine, p.softmax_pd);
    p.bwd = dnnl::softmax_backward(pd);
    p.bwd_args = {{DNNL_ARG_DST, p.bwd_data}};
    AddScratchpad(pd, dnnl.engine, &p.bwd_args);
  } else {
    const auto [alg, alpha] = EltwiseAlgorithm(kind_, alpha_);
    const dnnl::eltwise_backward::primitive_desc pd({alg, md, md, alpha}, attr,
                                                    dnnl.engine, p.eltwise_pd);
    p.bwd = dnnl::eltwise_backward(pd);
    // use_dst_for_bwd algorithms read DST; eltwise_relu (leaky) reads SRC,
    // which gets dst (same sign since alpha > 0).
    const bool reads_src = alg == algorithm::eltwise_relu;
    p.bwd_args = {{reads_src ? DNNL_ARG_SRC : DNNL_ARG_DST, p.bwd_data}};
    AddScratchpad(pd, dnnl.engine, &p.bwd_args);
  }
  p.bwd_args.insert({DNNL_ARG_DIFF_DST, p.diff_dst});
  p.bwd_args.insert({DNNL_ARG_DIFF_SRC, p.diff_src});
  p.has_bwd = true;
  ++bwd_builds_;
}

void ActivationOp::Forward(const float* src, float* dst, int64_t rows,
                           int64_t cols, DnnlContext& dnnl) {
  if (kind_ == ActivationKind::kLinear) {
    if (src != dst) std::memcpy(dst, src, sizeof(float) * rows * cols);
    return;
  }
  RunDnnl("activation forward", [&] {
    Primitives& p = Get(rows, cols, dnnl);
    BindData(p.src, src);
    BindData(p.dst, dst);
    p.fwd.execute(dnnl.stream, p.fwd_args);
    if (kind_ == ActivationKind::kSelu) {
      p.scale.execute(dnnl.stream, p.scale_args);
    }
    dnnl.stream.wait();
  });
}

void ActivationOp::Backward(const float* dst, const float* diff_dst,
                            float* diff_src, int64_t rows, int64_t cols,
                            DnnlContext& dnnl) {
  const int64_t n = rows * cols;
  if (kind_ == ActivationKind::kLinear) {
    if (diff_src != diff_dst)
      std::memcpy(diff_src, diff_dst, sizeof(float) * n);
    return;
  }
  if (kind_ == ActivationKind::kSelu) {
    // selu'(x) = scale for x > 0, else scale * alpha * e^x = dst + scale *
    // alpha. The sign of dst is the sign of x. Exact, no exp.
    constexpr float kScale = static_cast<float>(kSeluScale);
    constexpr float kScaleAlpha = static_cast<float>(kSeluScale * kSeluAlpha);
    for (int64_t i = 0; i < n; ++i) {
      const float y = dst[i];
      diff_src[i] = diff_dst[i] * (y > 0.f ? kScale : y + kScaleAlpha);
    }
    return;
  }
  RunDnnl("activation backward", [&] {
    Primitives& p = Get(rows, cols, dnnl);
    if (!p.has_bwd) BuildBackward(p, rows, cols, dnnl);
    BindData(p.bwd_data, dst);
    BindData(p.diff_dst, diff_dst);
    BindData(p.diff_src, diff_src);
    p.bwd.execute(dnnl.stream, p.bwd_args);
    dnnl.stream.wait();
  });
}

}  // namespace profundo
