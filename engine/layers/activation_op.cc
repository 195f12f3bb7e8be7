#include "engine/layers/activation_op.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include "engine/layers/dnnl_util.h"
#include "engine/mixed_precision/bfloat16.h"
#include "engine/parallel.h"

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

  bool has_bwd = false;  // softmax only
  dnnl::memory bwd_data, diff_dst, diff_src;  // bwd_data views the fwd dst
  dnnl::primitive bwd;
  DnnlArgs bwd_args;
};

namespace {

// The forward eltwise algorithm and alpha for a kind (not softmax/linear).
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
  // Softmax only: the other kinds' backward is BackwardFromDst.
  const dnnl::softmax_backward::primitive_desc pd({md, md, 1}, LayerAttr(),
                                                  dnnl.engine, p.softmax_pd);
  p.bwd = dnnl::softmax_backward(pd);
  p.bwd_args = {{DNNL_ARG_DST, p.bwd_data}};
  AddScratchpad(pd, dnnl.engine, &p.bwd_args);
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

namespace {

// dx = dy * f'(x) from y = f(x), for every kind but softmax. The sign of y
// is the sign of x for relu, leaky relu (alpha >= 0), elu and selu.
//   linear 1; sigmoid y (1 - y); tanh 1 - y^2; relu y > 0;
//   leaky_relu y > 0 ? 1 : alpha; elu y > 0 ? 1 : y + alpha;
//   selu y > 0 ? scale : y + scale alpha.
PROFUNDO_TARGET_CLONES
void BackwardFromDst(ActivationKind kind, float alpha, const float* y,
                     const float* dy, float* dx, int64_t n) {
  switch (kind) {
    case ActivationKind::kSigmoid:
      PROFUNDO_SIMD
      for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.f - y[i]);
      return;
    case ActivationKind::kTanh:
      PROFUNDO_SIMD
      for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.f - y[i] * y[i]);
      return;
    case ActivationKind::kRelu:
    case ActivationKind::kLeakyRelu: {
      const float slope = kind == ActivationKind::kRelu ? 0.f : alpha;
      PROFUNDO_SIMD
      for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > 0.f ? dy[i] : dy[i] * slope;
      return;
    }
    case ActivationKind::kElu:
      PROFUNDO_SIMD
      for (int64_t i = 0; i < n; ++i) {
        dx[i] = y[i] > 0.f ? dy[i] : dy[i] * (y[i] + alpha);
      }
      return;
    case ActivationKind::kSelu: {
      constexpr float kScale = static_cast<float>(kSeluScale);
      constexpr float kScaleAlpha =
          static_cast<float>(kSeluScale * kSeluAlpha);
      PROFUNDO_SIMD
      for (int64_t i = 0; i < n; ++i) {
        dx[i] = dy[i] * (y[i] > 0.f ? kScale : y[i] + kScaleAlpha);
      }
      return;
    }
    default:  // linear (softmax never comes here)
      if (dx != dy) std::memcpy(dx, dy, sizeof(float) * n);
      return;
  }
}

}  // namespace

void ActivationOp::BackwardToBf16(const float* dst, const float* diff_dst,
                                  uint16_t* diff_src_bf16, int64_t n) const {
  // In L1-sized pieces: f32 derivative into a stack buffer, then to bf16.
  constexpr int64_t kPiece = 1024;
  ParallelRanges(n, [&](int64_t begin, int64_t end) {
    float buf[kPiece];
    for (int64_t b = begin; b < end; b += kPiece) {
      const int64_t len = std::min(kPiece, end - b);
      BackwardFromDst(kind_, static_cast<float>(alpha_), dst + b,
                      diff_dst + b, buf, len);
      FloatToBfloat16Serial(buf, diff_src_bf16 + b, len);
    }
  });
}

void ActivationOp::Backward(const float* dst, const float* diff_dst,
                            float* diff_src, int64_t rows, int64_t cols,
                            DnnlContext& dnnl) {
  const int64_t n = rows * cols;
  if (kind_ != ActivationKind::kSoftmax) {
    ParallelRanges(n, [&](int64_t begin, int64_t end) {
      BackwardFromDst(kind_, static_cast<float>(alpha_), dst + begin,
                      diff_dst + begin, diff_src + begin, end - begin);
    });
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
