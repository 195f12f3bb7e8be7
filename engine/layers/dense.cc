#include "engine/layers/dense.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/layers/dnnl_util.h"
#include "engine/layers/matmul_product.h"
#include "engine/layers/row_dots.h"
#include "engine/layers/rows_product.h"
#include "engine/layers/transpose.h"
#include "engine/mixed_precision/bfloat16.h"
#include "engine/optimizers/optimizer.h"
#include "engine/parallel.h"

namespace profundo {

using dnnl::memory;
using dnnl::prop_kind;

// Inner-product primitives for one batch size. Memory objects are shared by
// the primitives that read the same buffer; each call binds them to the
// current tensors.
struct Dense::Primitives {
  memory src, weights, bias, dst;
  dnnl::inner_product_forward::primitive_desc fwd_pd;
  dnnl::primitive fwd;
  DnnlArgs fwd_args;

  bool has_bwd = false;
  memory diff_src, diff_dst;
  dnnl::primitive bwd_data;
  DnnlArgs bwd_data_args;
  // diff_kernel = src^T . diff_dst (diff_bias: SumRows of diff_dst); its
  // operands are p.src's and p.diff_dst's buffers.
  MatmulProduct bwd_weights;
  // bwd_data's stream when it runs beside bwd_weights (on the other thread).
  dnnl::stream bwd_data_stream;
  // bf16 mode: src and diff_dst above are owned bf16 buffers, written by
  // FloatToBfloat16 / ActivationOp::BackwardToBf16.

  // Inference forwards of this batch size when n >= kBlockedMinRows (built
  // by the first): the same inner product with the kernel in the layout
  // oneDNN picks (its brgemm kernels), reading the layer's blocked_kernel_.
  bool has_blocked = false;
  dnnl::inner_product_forward::primitive_desc blocked_pd;
  dnnl::primitive blocked_fwd;
  DnnlArgs blocked_args;  // src, bias, dst and scratchpad; weights bound

  // Training forwards at this batch size when the split does not apply
  // (built by the first): the same product, bias and fused activation as a
  // matmul on Keras's kernel layout (brgemm; see matmul_product.h).
  bool has_train_fwd = false;
  MatmulProduct train_fwd;

  // Training steps at this batch size when SplitInnerProduct::Applies
  // (built by the first kTrain Forward): forward and backward weights;
  // bwd_weights is then not built.
  std::unique_ptr<SplitInnerProduct> split;
};

namespace {

// Keras's [fan_in, units] row-major kernel is oneDNN's {OC, IC} in "io".
memory::desc KernelMd(int64_t fan_in, int64_t units,
                      memory::data_type type = memory::data_type::f32) {
  return memory::desc({units, fan_in}, type, memory::format_tag::io);
}

// The bf16 buffer of an owned bf16 memory object.
uint16_t* Bf16Data(const memory& m) {
  return static_cast<uint16_t*>(m.get_data_handle());
}

constexpr memory::data_type kBf16 = memory::data_type::bf16;

// Inference forwards of at least this many rows use the kernel in the
// layout oneDNN picks for them (a blocked copy, converted once per change of
// the weights) instead of Keras's: its brgemm kernels fuse the bias and the
// activation and are faster from a few dozen rows on (2 threads, with elu:
// 784x300 at 256 rows float32 302 -> 239 us, bf16 175 -> 126; 3,200 rows,
// MC dropout's batches, 3,517 -> 2,970 and 1,806 -> 1,549 us; 100x10 at
// 3,200 rows 58 -> 29 us), while converting the 784x300 kernel costs about
// one such call.
constexpr int64_t kBlockedMinRows = 256;

}  // namespace

Dense::Dense(std::string name, DenseOptions options)
    : Layer(std::move(name)),
      options_(std::move(options)),
      activation_(options_.activation,
                  options_.activation_alpha.value_or(
                      ActivationOp::DefaultAlpha(options_.activation))) {
  activation_.AppendPostOp(&activation_ops_);
}

dnnl::primitive_attr Dense::ForwardAttr() const {
  dnnl::primitive_attr attr = LayerAttr();
  if (activation_fused()) attr.set_post_ops(activation_ops_);
  return attr;
}

Dense::~Dense() = default;

absl::StatusOr<Shape> Dense::Build(const Shape& input_shape,
                                   ParameterStore& store) {
  if (options_.units <= 0) {
    return absl::InvalidArgumentError("units must be > 0");
  }
  if (options_.kernel_initializer == nullptr ||
      (options_.use_bias && options_.bias_initializer == nullptr)) {
    return absl::InvalidArgumentError(
        "Dense needs kernel and bias initializers");
  }
  if (input_shape.size() != 1 || input_shape[0] <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Dense needs a flat per-sample input [features], got ",
        ShapeToString(input_shape), "; add a Flatten layer before it"));
  }
  fan_in_ = input_shape[0];
  kernel_id_ = store.Add(name() + "/kernel", {fan_in_, options_.units}, true);
  if (bf16()) store.RequestBfloat16Mirror();
  store.param(kernel_id_).regularizer = options_.kernel_regularizer;
  store.param(kernel_id_).constraint = options_.kernel_constraint;
  if (options_.use_bias) {
    bias_id_ = store.Add(name() + "/bias", {options_.units}, true);
    store.param(bias_id_).regularizer = options_.bias_regularizer;
    store.param(bias_id_).constraint = options_.bias_constraint;
  }
  return Shape{options_.units};
}

void Dense::Initialize(ParameterStore& store, Rng& rng) {
  options_.kernel_initializer->Fill(store.value(kernel_id_),
                                    {fan_in_, options_.units}, rng);
  if (bias_id_ >= 0) {
    options_.bias_initializer->Fill(store.value(bias_id_), {options_.units},
                                    rng);
  }
}

Dense::Primitives& Dense::Get(int64_t n, DnnlContext& dnnl) {
  return cache_.Get(n, [&] {
    auto p = std::make_unique<Primitives>();
    const int64_t units = options_.units;
    const memory::desc b_md = VectorMd(units);
    const memory::desc dst_md = RowMajorMd(n, units);
    memory::desc src_md, w_md;
    if (bf16()) {
      src_md = RowMajorMd(n, fan_in_, kBf16);
      w_md = KernelMd(fan_in_, units, kBf16);
      p->src = memory(src_md, dnnl.engine);
      p->weights = kernel_bf16_;
    } else {
      src_md = RowMajorMd(n, fan_in_);
      w_md = KernelMd(fan_in_, units);
      p->src = UnboundMemory(src_md, dnnl.engine);
      p->weights = UnboundMemory(w_md, dnnl.engine);
    }
    p->dst = UnboundMemory(dst_md, dnnl.engine);
    p->fwd_args = {{DNNL_ARG_SRC, p->src},
                   {DNNL_ARG_WEIGHTS, p->weights},
                   {DNNL_ARG_DST, p->dst}};
    const dnnl::primitive_attr attr = ForwardAttr();
    if (options_.use_bias) {
      p->bias = UnboundMemory(b_md, dnnl.engine);
      p->fwd_args.insert({DNNL_ARG_BIAS, p->bias});
      p->fwd_pd = dnnl::inner_product_forward::primitive_desc(
          {prop_kind::forward_training, src_md, w_md, b_md, dst_md}, attr,
          dnnl.engine);
    } else {
      p->fwd_pd = dnnl::inner_product_forward::primitive_desc(
          {prop_kind::forward_training, src_md, w_md, dst_md}, attr,
          dnnl.engine);
    }
    p->fwd = dnnl::inner_product_forward(p->fwd_pd);
    AddScratchpad(p->fwd_pd, dnnl.engine, &p->fwd_args);
    return p;
  });
}

void Dense::BuildBackward(Primitives& p, int64_t n, DnnlContext& dnnl) {
  const int64_t units = options_.units;
  // diff_src, diff_weights and diff_bias are f32 in both modes.
  const memory::desc diff_src_md = RowMajorMd(n, fan_in_);
  const memory::desc src_md = p.fwd_pd.src_desc();
  const memory::desc w_md = p.fwd_pd.weights_desc();
  p.diff_src = UnboundMemory(diff_src_md, dnnl.engine);
  memory::desc dst_md;
  if (bf16()) {
    dst_md = RowMajorMd(n, units, kBf16);
    p.diff_dst = memory(dst_md, dnnl.engine);
  } else {
    dst_md = RowMajorMd(n, units);
    p.diff_dst = UnboundMemory(dst_md, dnnl.engine);
  }

  const dnnl::primitive_attr attr = LayerAttr();
  const dnnl::inner_product_backward_data::primitive_desc data_pd(
      {diff_src_md, w_md, dst_md}, attr, dnnl.engine, p.fwd_pd);
  p.bwd_data = dnnl::inner_product_backward_data(data_pd);
  p.bwd_data_args = {{DNNL_ARG_DIFF_DST, p.diff_dst},
                     {DNNL_ARG_WEIGHTS, p.weights},
                     {DNNL_ARG_DIFF_SRC, p.diff_src}};
  AddScratchpad(data_pd, dnnl.engine, &p.bwd_data_args);
  p.bwd_data_stream = dnnl::stream(dnnl.engine);
  p.has_bwd = true;
  ++later_builds_;
  if (p.split) return;  // it computes the weights' gradients

  // src^T: the [fan_in, n] view of the row-major [n, fan_in] src.
  const memory::desc src_t_md({fan_in_, n}, src_md.data_type(),
                              memory::dims{1, fan_in_});
  p.bwd_weights = MatmulProduct(src_t_md, dst_md, RowMajorMd(fan_in_, units),
                                dnnl.engine);
  ++later_builds_;
}

void Dense::BuildTrainForward(Primitives& p, int64_t n, DnnlContext& dnnl) {
  const int64_t units = options_.units;
  const memory::data_type type = bf16() ? kBf16 : memory::data_type::f32;
  // Keras's [fan_in, units] row-major kernel (or its bf16 mirror) as is.
  p.train_fwd = MatmulProduct(
      RowMajorMd(n, fan_in_, type), RowMajorMd(fan_in_, units, type),
      RowMajorMd(n, units), dnnl.engine, options_.use_bias, activation_ops_);
  p.has_train_fwd = true;
  ++later_builds_;
}

void Dense::BuildBlocked(Primitives& p, DnnlContext& dnnl) {
  const memory::desc w_md({options_.units, fan_in_},
                          bf16() ? kBf16 : memory::data_type::f32,
                          memory::format_tag::any);
  const dnnl::primitive_attr attr = ForwardAttr();
  const memory::desc src_md = p.fwd_pd.src_desc();
  const memory::desc dst_md = p.fwd_pd.dst_desc();
  p.blocked_args = {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_DST, p.dst}};
  if (options_.use_bias) {
    p.blocked_args.insert({DNNL_ARG_BIAS, p.bias});
    p.blocked_pd = dnnl::inner_product_forward::primitive_desc(
        {prop_kind::forward_inference, src_md, w_md,
         VectorMd(options_.units), dst_md},
        attr, dnnl.engine);
  } else {
    p.blocked_pd = dnnl::inner_product_forward::primitive_desc(
        {prop_kind::forward_inference, src_md, w_md, dst_md}, attr,
        dnnl.engine);
  }
  p.blocked_fwd = dnnl::inner_product_forward(p.blocked_pd);
  AddScratchpad(p.blocked_pd, dnnl.engine, &p.blocked_args);
  p.has_blocked = true;
  ++later_builds_;
}

void Dense::UpdateBlockedKernel(const Primitives& p, Context& ctx) {
  const memory::desc md = p.blocked_pd.weights_desc();
  const int64_t generation = ctx.params.values_generation();
  if (blocked_kernel_ && blocked_kernel_.get_desc() == md &&
      blocked_generation_ == generation) {
    return;
  }
  if (!blocked_kernel_ || blocked_kernel_.get_desc() != md) {
    blocked_kernel_ = memory(md, ctx.dnnl.engine);
  }
  memory kernel(KernelMd(fan_in_, options_.units), ctx.dnnl.engine,
                ctx.params.value(kernel_id_));
  // oneDNN's primitive cache keeps the reorder between calls.
  const dnnl::reorder::primitive_desc pd(kernel, blocked_kernel_, LayerAttr());
  DnnlArgs args = {{DNNL_ARG_FROM, kernel}, {DNNL_ARG_TO, blocked_kernel_}};
  AddScratchpad(pd, ctx.dnnl.engine, &args);
  dnnl::reorder(pd).execute(ctx.dnnl.stream, args);
  ctx.dnnl.stream.wait();
  blocked_generation_ = generation;
}

void Dense::ConvertKernel(Context& ctx) {
  // Keras's [fan_in, units] row-major is the "io" order element for element.
  uint16_t* mirror = ctx.params.bfloat16_value(kernel_id_);
  if (!kernel_bf16_) {
    kernel_bf16_ = memory(KernelMd(fan_in_, options_.units, kBf16),
                          ctx.dnnl.engine, mirror);
  }
  // Current right after the optimizer's step, which wrote the mirror.
  if (!ctx.params.bfloat16_mirror_current()) {
    FloatToBfloat16(ctx.params.value(kernel_id_), mirror,
                    fan_in_ * options_.units);
  }
}

void Dense::Forward(const Tensor& src, Tensor* dst, Mode mode, Context& ctx) {
  const int64_t n = src.dim(0);
  const int64_t units = options_.units;
  dst->Resize({n, units});
  if (n == 0) return;
  const ScopedTeamSize team(TeamForMacs(n * fan_in_ * units));
  // The activation still to apply (not fused into the product).
  bool activate = !activation_fused();
  RunDnnl(name(), [&] {
    if (bf16()) ConvertKernel(ctx);  // before Get: entries share the copy
    Primitives& p = Get(n, ctx.dnnl);
    if (bf16()) {
      FloatToBfloat16(src.data(), Bf16Data(p.src), n * fan_in_);
    } else {
      BindData(p.src, src.data());
      BindData(p.weights, ctx.params.value(kernel_id_));
    }
    const float* bias = bias_id_ >= 0 ? ctx.params.value(bias_id_) : nullptr;
    if (mode == Mode::kTrain) {
      const void* src_data =
          bf16() ? static_cast<const void*>(Bf16Data(p.src)) : src.data();
      const void* kernel =
          bf16()
              ? static_cast<const void*>(ctx.params.bfloat16_value(kernel_id_))
              : ctx.params.value(kernel_id_);
      if (SplitInnerProduct::Applies(n, fan_in_, units)) {
        if (!p.split) {
          p.split = std::make_unique<SplitInnerProduct>(
              n, fan_in_, units, bf16() ? kBf16 : memory::data_type::f32,
              ctx.dnnl.engine, activation_ops_);
          ctx.params.param(kernel_id_).split_row =
              SplitInnerProduct::SecondHalfRow(fan_in_);
        }
        p.split->Forward(src_data, kernel, bias, dst->data());
        return;
      }
      if (TrainsByRows(n)) {
        ForwardRows(src.data(), ctx.params.value(kernel_id_), bias, n,
                    dst->data());
        activate = true;
        return;
      }
      if (!p.has_train_fwd) BuildTrainForward(p, n, ctx.dnnl);
      p.train_fwd.Run(src_data, kernel, dst->data(), ctx.dnnl.stream, bias);
      return;
    }
    if (bias != nullptr) BindData(p.bias, bias);
    BindData(p.dst, dst->data());
    if (n >= kBlockedMinRows) {
      if (!p.has_blocked) BuildBlocked(p, ctx.dnnl);
      UpdateBlockedKernel(p, ctx);
      p.blocked_args[DNNL_ARG_WEIGHTS] = blocked_kernel_;
      p.blocked_fwd.execute(ctx.dnnl.stream, p.blocked_args);
      ctx.dnnl.stream.wait();
      return;
    }
    p.fwd.execute(ctx.dnnl.stream, p.fwd_args);
    ctx.dnnl.stream.wait();
  });
  if (activate) {
    activation_.Forward(dst->data(), dst->data(), n, units, ctx.dnnl);
  }
}

void Dense::BackwardRows(const float* src, const float* diff_pre, int64_t n,
                         Context& ctx, Tensor* diff_src) {
  const int64_t units = options_.units;
  // The two products side by side on a team of two, as the matmuls'.
  RunPair(diff_src != nullptr && TeamOfTwo(), [&](int t) {
    if (t == 0) {
      WeightGradientRows(src, fan_in_, diff_pre, n, units, fan_in_,
                         ctx.params.grad(kernel_id_));
      if (bias_id_ >= 0) {
        SumRows(diff_pre, n, units, ctx.params.grad(bias_id_));
      }
      return;
    }
    if (diff_src == nullptr) return;
    // diff_src = diff_pre . kernel^T, as (kernel . diff_pre^T)^T:
    // RowsProduct's second operand is row-major along the output's columns.
    transposed_.resize((units + fan_in_) * n);
    float* diff_pre_t = transposed_.data();      // [units, n]
    float* diff_src_t = diff_pre_t + units * n;  // [fan_in, n]
    Transpose(diff_pre, n, units, diff_pre_t);
    RowsProduct(ctx.params.value(kernel_id_), units, 1, diff_pre_t, units, n,
                fan_in_, diff_src_t);
    Transpose(diff_src_t, fan_in_, n, diff_src->data());
  });
}

int64_t Dense::TeamDnnlMacs(int64_t rows, bool diff_src) const {
  const int64_t macs = rows * fan_in_ * options_.units;
  if (macs < kParallelMinMacs) return 0;
  if (SplitInnerProduct::Applies(rows, fan_in_, options_.units)) {
    return diff_src ? macs : 0;
  }
  return TrainsByRows(rows) ? 0 : macs;
}

bool Dense::TrainsByRows(int64_t n) const {
  return !bf16() && n <= kRowsProductMaxRows && RowsProductFast();
}

void Dense::ForwardRows(const float* src, const float* kernel,
                        const float* bias, int64_t n, float* dst) const {
  const int64_t units = options_.units;
  auto rows = [&](int64_t r0, int64_t r1) {
    if (r1 <= r0) return;
    RowsProduct(src + r0 * fan_in_, fan_in_, 1, kernel, fan_in_, units,
                r1 - r0, dst + r0 * units);
    if (bias == nullptr) return;
    for (int64_t r = r0; r < r1; ++r) {
      float* d = dst + r * units;
      PROFUNDO_SIMD
      for (int64_t j = 0; j < units; ++j) d[j] = d[j] + bias[j];
    }
  };
  // Each row is the same bits on either thread (rows_product.h).
  RunPair(TeamOfTwo() && n >= 16, [&](int t) {
    rows(t * n / 2, (t + 1) * n / 2);
  });
}

void Dense::Backward(const Tensor& src, const Tensor& dst,
                     const Tensor& diff_dst, Tensor* diff_src, Context& ctx) {
  BackwardProducts(src, dst, diff_dst, diff_src, ctx, nullptr);
}

bool Dense::UpdatesKernelEarly(const Context& ctx) const {
  if (ctx.early_update == nullptr || bf16() || !RowsProductFast()) {
    return false;
  }
  const Parameter& kernel = ctx.params.param(kernel_id_);
  return kernel.trainable && !kernel.regularizer.active();
}

bool Dense::BackwardProducts(const Tensor& src, const Tensor& dst,
                             const Tensor& diff_dst, Tensor* diff_src,
                             Context& ctx,
                             const SplitInnerProduct::OnBlock& row_sums) {
  const int64_t n = src.dim(0);
  const int64_t units = options_.units;
  if (diff_src != nullptr) diff_src->Resize(src.shape());
  if (n == 0) {
    std::fill_n(ctx.params.grad(kernel_id_), fan_in_ * units, 0.f);
    if (bias_id_ >= 0) std::fill_n(ctx.params.grad(bias_id_), units, 0.f);
    return false;
  }
  const ScopedTeamSize team(TeamForMacs(n * fan_in_ * units));
  // bf16: the activation's backward writes bf16 straight into the inner
  // products' diff_dst (softmax, on oneDNN, goes through f32 first).
  const bool direct_bf16 =
      bf16() && activation_.kind() != ActivationKind::kSoftmax;
  const float* diff_pre = diff_dst.data();
  if (!direct_bf16 && activation_.kind() != ActivationKind::kLinear) {
    diff_pre_.Resize({n, units});
    activation_.Backward(dst.data(), diff_dst.data(), diff_pre_.data(), n,
                         units, ctx.dnnl);
    diff_pre = diff_pre_.data();
  }
  if (!SplitInnerProduct::Applies(n, fan_in_, units) && TrainsByRows(n)) {
    BackwardRows(src.data(), diff_pre, n, ctx, diff_src);
    return false;
  }
  bool split = false;
  RunDnnl(name(), [&] {
    Primitives& p = Get(n, ctx.dnnl);
    if (!p.has_bwd) BuildBackward(p, n, ctx.dnnl);
    if (direct_bf16) {
      // p.src holds bf16(src) from the kTrain Forward.
      activation_.BackwardToBf16(dst.data(), diff_dst.data(),
                                 Bf16Data(p.diff_dst), n * units);
    } else if (bf16()) {
      FloatToBfloat16(diff_pre, Bf16Data(p.diff_dst), n * units);
    } else {
      BindData(p.src, src.data());
      BindData(p.diff_dst, diff_pre);
    }
    if (diff_src != nullptr) {
      // bf16: p.weights is the kernel copy of the last Forward.
      if (!bf16()) BindData(p.weights, ctx.params.value(kernel_id_));
      BindData(p.diff_src, diff_src->data());
    }
    float* diff_bias = bias_id_ >= 0 ? ctx.params.grad(bias_id_) : nullptr;
    if (p.split && p.split->BlocksPay() && diff_src == nullptr &&
        UpdatesKernelEarly(ctx)) {
      const int64_t offset = ctx.params.param(kernel_id_).offset;
      p.split->BackwardWeightsByBlocks(
          src.data(), diff_pre, diff_bias,
          [&](int64_t begin, int64_t end, const float* block,
              const float* bias) {
            if (row_sums) row_sums(begin, end, block, bias);
            ctx.early_update->UpdateEarly(offset + begin * units, block,
                                          (end - begin) * units);
          });
      ctx.early_update->UpdatedEarly(kernel_id_);
      split = true;
      return;
    }
    if (p.split) {
      // p.split exists only for the row counts whose kTrain Forward used it.
      const void* src_data =
          bf16() ? static_cast<const void*>(Bf16Data(p.src)) : src.data();
      const void* diff =
          bf16() ? static_cast<const void*>(Bf16Data(p.diff_dst)) : diff_pre;
      float* diff_kernel = ctx.params.grad(kernel_id_);
      SplitInnerProduct::AfterRows after_rows;
      if (row_sums) {
        after_rows = [&](int64_t begin, int64_t end, const float* bias) {
          row_sums(begin, end, diff_kernel + begin * units, bias);
        };
      }
      p.split->BackwardWeights(src_data, diff, diff_kernel, diff_bias,
                               after_rows);
      split = true;
      if (diff_src != nullptr) {
        p.bwd_data.execute(ctx.dnnl.stream, p.bwd_data_args);
        ctx.dnnl.stream.wait();
      }
      return;
    }
    // The two products side by side on a team of two (see dense.h), else
    // one after the other on the team.
    RunPair(diff_src != nullptr && TeamOfTwo(), [&](int t) {
      if (t == 0) {
        p.bwd_weights.Run(p.src.get_data_handle(),
                          p.diff_dst.get_data_handle(),
                          ctx.params.grad(kernel_id_), ctx.dnnl.stream);
        if (bias_id_ < 0) return;
        if (bf16()) {
          SumRows(Bf16Data(p.diff_dst), n, units, ctx.params.grad(bias_id_));
        } else {
          SumRows(diff_pre, n, units, ctx.params.grad(bias_id_));
        }
      } else if (diff_src != nullptr) {
        p.bwd_data.execute(p.bwd_data_stream, p.bwd_data_args);
        p.bwd_data_stream.wait();
      }
    });
  });
  return split;
}

bool Dense::BackwardToColumnSums(const Tensor& src, const Tensor& dst,
                                 const Tensor& diff_dst, ColumnSums* src_sums,
                                 Context& ctx) {
  if (bias_id_ < 0) return false;
  // With g the gradient at the pre-activation [N, units]:
  //   diff_src = g . kernel^T,  diff_kernel = src^T . g,  diff_bias = sum_n g,
  // so over the rows n, for each input column c:
  //   sum_n diff_src[n, c]            = sum_k kernel[c, k] diff_bias[k]
  //   sum_n diff_src[n, c] src[n, c]  = sum_k kernel[c, k] diff_kernel[c, k]
  // fan_in x units multiply-adds instead of the N x fan_in x units of the
  // backward-data inner product. bf16 mode: the kernel of the forward (the
  // mirror, as that inner product would use; it also halves the bytes this
  // memory-bound pass reads), diff_kernel what the bf16 src and gradient
  // give.
  src_sums->dy.resize(fan_in_);
  src_sums->dy_y.resize(fan_in_);
  const int64_t units = options_.units;
  const float* kernel = ctx.params.value(kernel_id_);
  const uint16_t* kernel_bf16 =
      bf16() ? ctx.params.bfloat16_value(kernel_id_) : nullptr;
  // Rows [begin, end) of the kernel, their gradient at grad.
  auto row_dots = [&](int64_t begin, int64_t end, const float* grad,
                      const float* diff_bias) {
    if (kernel_bf16 != nullptr) {
      RowDots(kernel_bf16 + begin * units, grad, diff_bias, end - begin,
              units, src_sums->dy.data() + begin,
              src_sums->dy_y.data() + begin);
    } else {
      RowDots(kernel + begin * units, grad, diff_bias, end - begin, units,
              src_sums->dy.data() + begin, src_sums->dy_y.data() + begin);
    }
  };
  // The same over the team unless on one thread of a pair: each thread
  // takes whole rows (input columns c).
  auto rows_on_team = [&](int64_t begin, int64_t end, const float* grad,
                          const float* bias) {
    if (InParallelWork()) return row_dots(begin, end, grad, bias);
    ParallelColumns(units, end - begin, [&](int64_t b, int64_t e) {
      row_dots(begin + b, begin + e, grad + b * units, bias);
    });
  };
  // Split products: each half's rows right after their gradient, on the
  // thread that computed it, in the same parallel region (the rows it read
  // and wrote, in its cache; one region fewer): the seed's 784x300 layer at
  // batch 32 on two threads near, bf16 28.8-30.0 -> 27.2-27.8 us, float32
  // 43.7-44.5 -> 43.0-43.9 (per-layer times in training steps). Splitting
  // each half's product in 2-8 chunks of rows, each chunk's sums right
  // after it, was slower (31-35 us): a matmul call costs more than the
  // cache misses it saves.
  if (!BackwardProducts(src, dst, diff_dst, /*diff_src=*/nullptr, ctx,
                        rows_on_team)) {
    rows_on_team(0, fan_in_, ctx.params.grad(kernel_id_),
                 ctx.params.grad(bias_id_));
  }
  return true;
}

}  // namespace profundo
