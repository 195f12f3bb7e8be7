// Model: building from the spec, forward/backward over a batch, evaluate,
// predict and MC predict. The training loop is in model_fit.cc, persistence
// in model_io.cc, the summary table in summary.cc.
#include "engine/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/flush_denormals.h"
#include "engine/layers/layer_factory.h"
#include "engine/mixed_precision/policy.h"
#include "engine/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace profundo {
namespace {

// The `input_shape` field of whichever layer message `layer` holds, if the
// message has one.
std::vector<int64_t> LayerInputShape(const v1::Layer& layer) {
  const google::protobuf::Reflection* refl = layer.GetReflection();
  const google::protobuf::OneofDescriptor* oneof =
      layer.GetDescriptor()->FindOneofByName("kind");
  const google::protobuf::FieldDescriptor* set =
      refl->GetOneofFieldDescriptor(layer, oneof);
  if (set == nullptr) return {};
  const google::protobuf::Message& msg = refl->GetMessage(layer, set);
  const google::protobuf::FieldDescriptor* field =
      msg.GetDescriptor()->FindFieldByName("input_shape");
  if (field == nullptr) return {};
  std::vector<int64_t> shape;
  const int n = msg.GetReflection()->FieldSize(msg, field);
  for (int i = 0; i < n; ++i) {
    shape.push_back(msg.GetReflection()->GetRepeatedInt64(msg, field, i));
  }
  return shape;
}

std::string LayerKindName(const v1::Layer& layer) {
  const google::protobuf::FieldDescriptor* set =
      layer.GetReflection()->GetOneofFieldDescriptor(
          layer, layer.GetDescriptor()->FindOneofByName("kind"));
  return set == nullptr ? "" : set->name();
}

// The activation a layer ends with, if it is a head a loss can fuse with.
std::optional<ActivationKind> HeadActivation(const v1::Layer& layer) {
  std::string name;
  if (layer.has_dense()) name = layer.dense().activation();
  else if (layer.has_activation()) name = layer.activation().activation();
  else return std::nullopt;
  if (name == "softmax") return ActivationKind::kSoftmax;
  if (name == "sigmoid") return ActivationKind::kSigmoid;
  return std::nullopt;
}

}  // namespace

Model::~Model() = default;

absl::StatusOr<std::unique_ptr<Model>> Model::Create(const v1::ModelSpec& spec,
                                                     uint64_t seed,
                                                     int64_t max_params) {
  PROFUNDO_ASSIGN_OR_RETURN(std::unique_ptr<Model> m,
                            Build(spec, seed, max_params));
  m->params_.Allocate();
  for (auto& layer : m->layers_) layer->Initialize(m->params_, m->rng_);
  return m;
}

absl::StatusOr<ModelDescription> Model::Describe(const v1::ModelSpec& spec,
                                                 int64_t max_params) {
  PROFUNDO_ASSIGN_OR_RETURN(std::unique_ptr<Model> m,
                            Build(spec, /*seed=*/0, max_params));
  return ModelDescription{m->input_shape_, m->output_shape_, m->summary()};
}

absl::StatusOr<std::unique_ptr<Model>> Model::Build(const v1::ModelSpec& spec,
                                                    uint64_t seed,
                                                    int64_t max_params) {
  max_params = std::min(max_params, kMaxParams);
  std::unique_ptr<Model> m(new Model());
  m->spec_ = spec;
  m->rng_ = Rng(seed);
  if (spec.layers().empty()) {
    return absl::InvalidArgumentError("layers must not be empty");
  }

  PROFUNDO_ASSIGN_OR_RETURN(
      const DtypePolicy policy,
      ParseDtypePolicy(spec.dtype_policy(), "dtype_policy"));
  PROFUNDO_RETURN_IF_ERROR(CheckDtypePolicySupported(policy, "dtype_policy"));

  // Loss and head fusion.
  const std::string loss_name =
      spec.loss().empty() ? "sparse_categorical_crossentropy" : spec.loss();
  PROFUNDO_ASSIGN_OR_RETURN(m->loss_, MakeLoss(loss_name, "loss"));
  const int last = spec.layers_size() - 1;
  std::optional<ActivationKind> head = HeadActivation(spec.layers(last));
  if (head && m->loss_->FusesWith(*head)) m->fused_head_ = head;

  for (int i = 0; i < spec.metrics_size(); ++i) {
    const std::string& metric = spec.metrics(i);
    if (metric != "accuracy" && metric != "acc") {
      return absl::InvalidArgumentError(absl::StrCat(
          "metrics[", i, "] \"", metric, "\" is not supported (accuracy)"));
    }
  }
  if (loss_name == "binary_crossentropy") {
    m->accuracy_kind_ = AccuracyKind::kBinary;
  } else if (m->loss_->sparse_labels()) {
    m->accuracy_kind_ = AccuracyKind::kSparseCategorical;
  } else {
    m->accuracy_kind_ = AccuracyKind::kCategorical;
  }

  // Input shape: on the first layer only.
  m->input_shape_ = LayerInputShape(spec.layers(0));
  const std::string first_field =
      absl::StrCat("layers[0].", LayerKindName(spec.layers(0)));
  if (m->input_shape_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        first_field, ".input_shape is required on the first layer"));
  }
  // The element count, capped just above its limit as it grows (each factor
  // is <= 2^24, so the capped product never overflows: found by fuzzing).
  int64_t input_elements = 1;
  for (int64_t d : m->input_shape_) {
    if (d <= 0 || d > (int64_t{1} << 24)) {
      return absl::InvalidArgumentError(absl::StrCat(
          first_field, ".input_shape ", ShapeToString(m->input_shape_),
          " must have dimensions in [1, 16777216]"));
    }
    input_elements = std::min(input_elements * d, (int64_t{1} << 26) + 1);
  }
  if (input_elements > (int64_t{1} << 26)) {
    return absl::InvalidArgumentError(
        absl::StrCat(first_field, ".input_shape is too large"));
  }

  // Layers, with Keras's default names.
  absl::flat_hash_map<std::string, int> base_counts;
  std::vector<std::string> names;
  Shape shape = m->input_shape_;
  std::vector<int> params_before;
  for (int i = 0; i < spec.layers_size(); ++i) {
    const v1::Layer& layer_spec = spec.layers(i);
    const std::string field =
        absl::StrCat("layers[", i, "].", LayerKindName(layer_spec));
    if (layer_spec.kind_case() == v1::Layer::KIND_NOT_SET) {
      return absl::InvalidArgumentError(
          absl::StrCat("layers[", i, "] has no layer type"));
    }
    if (i > 0 && !LayerInputShape(layer_spec).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".input_shape is only allowed on the first layer"));
    }
    std::string name = layer_spec.name();
    if (name.empty()) {
      const std::string base = DefaultLayerBaseName(layer_spec);
      int& count = base_counts[base];
      name = count == 0 ? base : absl::StrCat(base, "_", count);
      ++count;
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "layers[", i, "].name \"", name, "\" is used by another layer"));
    }
    names.push_back(name);

    v1::Layer build_spec = layer_spec;
    if (i == last && m->fused_head_) {
      // The loss computes the head from the logits.
      if (build_spec.has_dense()) {
        build_spec.mutable_dense()->set_activation("linear");
      } else {
        build_spec.mutable_activation()->set_activation("linear");
      }
    }
    PROFUNDO_ASSIGN_OR_RETURN(std::unique_ptr<Layer> layer,
                              MakeLayer(build_spec, name, field, policy));
    params_before.push_back(static_cast<int>(m->params_.params().size()));
    absl::StatusOr<Shape> out = layer->Build(shape, m->params_);
    if (!out.ok()) {
      return absl::Status(out.status().code(),
                          absl::StrCat(field, ": ", out.status().message()));
    }
    // No overflow: each layer adds at most 2^26 inputs x 2^24 units (the
    // factory's caps) to a total that was <= max_params <= 2^40.
    const int64_t params =
        m->params_.trainable_count() + m->params_.non_trainable_count();
    if (params > max_params) {
      return absl::ResourceExhaustedError(absl::StrCat(
          field, ": the model has ", params,
          " parameters up to this layer, more than the limit of ", max_params));
    }
    shape = *out;
    m->layer_shapes_.push_back(shape);
    m->layers_.push_back(std::move(layer));
  }
  m->output_shape_ = shape;
  m->layer_param_begin_ = std::move(params_before);
  // Backward stops at the first layer with a trainable parameter: no layer
  // before it needs d loss / d input.
  m->first_trainable_layer_ = m->layers_.size();
  for (size_t i = 0; i < m->layers_.size(); ++i) {
    const size_t end = i + 1 < m->layers_.size()
                           ? m->layer_param_begin_[i + 1]
                           : m->params_.params().size();
    bool trainable = false;
    for (size_t id = m->layer_param_begin_[i]; id < end; ++id) {
      trainable |= m->params_.params()[id].trainable;
    }
    if (trainable) {
      m->first_trainable_layer_ = i;
      break;
    }
  }
  if (m->output_shape_.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "layers[", last, "] must output a vector per sample, not ",
        ShapeToString(m->output_shape_), " (add Flatten and Dense)"));
  }
  if (m->fused_head_ == ActivationKind::kSoftmax && m->output_shape_[0] < 2 &&
      m->loss_->sparse_labels()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "layers[", last, "] needs at least 2 units for ", loss_name));
  }

  PROFUNDO_ASSIGN_OR_RETURN(m->optimizer_,
                            MakeOptimizer(spec.optimizer(), "optimizer"));

  m->batch_sample_shape_ = m->input_shape_;
  while (m->first_computing_layer_ < m->layers_.size() &&
         m->layers_[m->first_computing_layer_]->reshapes_only()) {
    m->batch_sample_shape_ = m->layer_shapes_[m->first_computing_layer_++];
  }
  m->acts_.resize(m->layers_.size() + 1);
  m->diffs_.resize(m->layers_.size() + 1);
  return m;
}

absl::Status Model::CheckInputs(const Tensor& x, const Tensor* y,
                                const std::string& what) const {
  if (x.rank() < 1 || x.dim(0) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  }
  const Shape sample(x.shape().begin() + 1, x.shape().end());
  if (NumElements(sample) != NumElements(input_shape_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " features ", ShapeToString(sample),
        " do not match the model's input_shape ", ShapeToString(input_shape_)));
  }
  if (y != nullptr) {
    if (y->rank() < 1 || y->dim(0) != x.dim(0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " has ", x.dim(0), " samples but ",
          y->rank() ? y->dim(0) : 0, " targets"));
    }
    PROFUNDO_RETURN_IF_ERROR(loss_->ValidateTargets(
        *y, output_shape_[0], absl::StrCat(what, " targets")));
  }
  return absl::OkStatus();
}

void Model::ApplyHead() {
  const Tensor& logits = acts_.back();
  if (*fused_head_ == ActivationKind::kSoftmax) {
    return SoftmaxRows(logits, &head_out_);
  }
  head_out_.Resize(logits.shape());  // sigmoid
  const float* src = logits.data();
  float* dst = head_out_.data();
  for (int64_t i = 0; i < logits.size(); ++i) {
    dst[i] = 1.0f / (1.0f + std::exp(-src[i]));
  }
}

double Model::HeadLoss(const Tensor& y, Tensor* diff) const {
  if (*fused_head_ == ActivationKind::kSoftmax) {
    return loss_->ComputeFromSoftmax(acts_.back(), head_out_, y, diff);
  }
  return loss_->ComputeFromLogits(acts_.back(), y, diff);
}

const Tensor& Model::ForwardBatch(Mode mode) {
  const ScopedStepTimer step_timer(step_times_, &StepTimes::forward);
  Context ctx{dnnl_, params_, rng_};
  for (size_t i = first_computing_layer_; i < layers_.size(); ++i) {
    if (layers_[i]->IdentityIn(mode)) {
      // Same shape in and out: the buffers trade places, nothing is copied
      // (and nothing allocated: both keep their size for the next batch).
      std::swap(acts_[i], acts_[i + 1]);
      continue;
    }
    const ScopedStepTimer timer(step_times_, &StepTimes::layer_forward, i);
    layers_[i]->Forward(acts_[i], &acts_[i + 1], mode, ctx);
  }
  if (!fused_head_) return acts_.back();
  ApplyHead();
  return head_out_;
}

double Model::BackwardBatch(const Tensor& y, bool early_updates) {
  const ScopedStepTimer step_timer(step_times_, &StepTimes::backward);
  Context ctx{dnnl_, params_, rng_};
  const Tensor& out = acts_.back();
  Tensor& diff = diffs_.back();
  double loss;
  {
    const ScopedStepTimer timer(step_times_, &StepTimes::loss);
    loss = fused_head_ ? HeadLoss(y, &diff) : loss_->Compute(out, y, &diff);
  }
  // A diverged step (Fit stops at a non-finite loss) updates nothing.
  if (early_updates && std::isfinite(loss) &&
      optimizer_->BeginEarlyUpdates(params_)) {
    ctx.early_update = optimizer_.get();
  }
  const size_t first = first_trainable_layer_;
  // The first trainable layer may need only column sums of its diff_dst
  // (Layer::TakesColumnSums): then the layer after it skips its diff_src.
  const bool sums =
      first + 1 < layers_.size() && layers_[first]->TakesColumnSums(ctx);
  for (size_t i = layers_.size(); i-- > first;) {
    const ScopedStepTimer timer(step_times_, &StepTimes::layer_backward, i);
    if (sums && i == first + 1 &&
        layers_[i]->BackwardToColumnSums(acts_[i], acts_[i + 1], diffs_[i + 1],
                                         &first_sums_, ctx)) {
      layers_[first]->BackwardFromColumnSums(acts_[first], acts_[i],
                                             first_sums_, ctx);
      break;
    }
    Tensor* diff_src = i == first ? nullptr : &diffs_[i];
    layers_[i]->Backward(acts_[i], acts_[i + 1], diffs_[i + 1], diff_src, ctx);
  }
  AddRegularizationGradients();
  return loss + RegularizationPenalty();
}

double Model::RegularizationPenalty() const {
  double penalty = 0;
  for (size_t id = 0; id < params_.params().size(); ++id) {
    const Parameter& p = params_.param(static_cast<int>(id));
    if (p.regularizer.active()) {
      penalty += p.regularizer.Penalty(params_.value(static_cast<int>(id)), p.size);
    }
  }
  return penalty;
}

void Model::AddRegularizationGradients() {
  for (size_t id = 0; id < params_.params().size(); ++id) {
    const Parameter& p = params_.param(static_cast<int>(id));
    if (p.trainable && p.regularizer.active()) {
      p.regularizer.AddGradient(params_.value(static_cast<int>(id)),
                                params_.grad(static_cast<int>(id)), p.size);
    }
  }
}

absl::StatusOr<Evaluation> Model::EvaluateStandardized(const Dataset& data,
                                                       int batch_size) {
  const int64_t n = data.size();
  double loss_sum = 0;
  int64_t correct = 0, counted = 0;
  Tensor y_batch;
  for (int64_t b = 0; b < n; b += batch_size) {
    const int64_t e = std::min(n, b + batch_size);
    GatherRows(data.x, nullptr, b, e, batch_sample_shape_, &BatchInput());
    GatherRows(data.y, nullptr, b, e,
               Shape(data.y.shape().begin() + 1, data.y.shape().end()),
               &y_batch);
    const Tensor& out = ForwardBatch(Mode::kInference);
    const double loss = fused_head_ ? HeadLoss(y_batch, nullptr)
                                    : loss_->Compute(out, y_batch, nullptr);
    loss_sum += loss * (e - b);
    correct += CountCorrect(accuracy_kind_, out, y_batch);
    counted += CountedItems(accuracy_kind_, out);
  }
  Evaluation ev;
  ev.loss = loss_sum / n + RegularizationPenalty();
  ev.accuracy = counted ? static_cast<double>(correct) / counted : 0.0;
  return ev;
}

absl::StatusOr<Evaluation> Model::Evaluate(const Dataset& data,
                                           int batch_size) {
  ScopedFlushDenormals flush_denormals;
  params_.MarkValuesChanged();  // the caller may have written weights
  if (batch_size <= 0) {
    return absl::InvalidArgumentError("batch_size must be > 0");
  }
  PROFUNDO_RETURN_IF_ERROR(CheckInputs(data.x, &data.y, "x"));
  if (!standardizer_.fitted()) return EvaluateStandardized(data, batch_size);
  Dataset copy{data.x, data.y};
  standardizer_.Apply(&copy.x);
  return EvaluateStandardized(copy, batch_size);
}

absl::StatusOr<Tensor> Model::Predict(const Tensor& x, int batch_size) {
  ScopedFlushDenormals flush_denormals;
  params_.MarkValuesChanged();  // the caller may have written weights
  if (batch_size <= 0) {
    return absl::InvalidArgumentError("batch_size must be > 0");
  }
  PROFUNDO_RETURN_IF_ERROR(CheckInputs(x, nullptr, "x"));
  const int64_t n = x.dim(0), k = output_shape_[0];
  Tensor result({n, k});
  for (int64_t b = 0; b < n; b += batch_size) {
    const int64_t e = std::min(n, b + batch_size);
    GatherRows(x, nullptr, b, e, batch_sample_shape_, &BatchInput());
    standardizer_.Apply(&BatchInput());
    const Tensor& out = ForwardBatch(Mode::kInference);
    std::memcpy(result.data() + b * k, out.data(), sizeof(float) * (e - b) * k);
  }
  return result;
}

absl::StatusOr<McPrediction> Model::PredictMc(const Tensor& x, int samples,
                                              int batch_size) {
  ScopedFlushDenormals flush_denormals;
  params_.MarkValuesChanged();  // the caller may have written weights
  if (samples <= 0) {
    return absl::InvalidArgumentError("mc_samples must be > 0");
  }
  if (batch_size <= 0) {
    return absl::InvalidArgumentError("batch_size must be > 0");
  }
  if (std::none_of(layers_.begin(), layers_.end(),
                   [](const auto& l) { return l->stochastic(); })) {
    return absl::FailedPreconditionError(
        "MC dropout needs a Dropout, AlphaDropout, MCDropout or "
        "MCAlphaDropout layer; this model has none");
  }
  PROFUNDO_RETURN_IF_ERROR(CheckInputs(x, nullptr, "x"));
  const int64_t n = x.dim(0), k = output_shape_[0];
  // All samples of a chunk of inputs run as one batch of samples * chunk
  // rows: row s * chunk + i is sample s of input i.
  const int64_t chunk = std::max<int64_t>(
      1, std::min<int64_t>(batch_size, kMcRowsPerPass / samples));
  McPrediction result{Tensor({n, k}), Tensor({n, k})};
  Tensor inputs;
  std::vector<double> sum(chunk * k), sum2(chunk * k);
  for (int64_t b = 0; b < n; b += chunk) {
    const int64_t e = std::min(n, b + chunk), m = e - b;
    GatherRows(x, nullptr, b, e, input_shape_, &inputs);
    standardizer_.Apply(&inputs);
    Shape shape = {samples * m};
    shape.insert(shape.end(), batch_sample_shape_.begin(),
                 batch_sample_shape_.end());
    Tensor& batch = BatchInput();
    batch.Resize(std::move(shape));
    for (int s = 0; s < samples; ++s) {
      std::memcpy(batch.data() + s * inputs.size(), inputs.data(),
                  sizeof(float) * inputs.size());
    }
    const Tensor& out = ForwardBatch(Mode::kMcSample);
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(sum2.begin(), sum2.end(), 0.0);
    for (int s = 0; s < samples; ++s) {
      const float* o = out.data() + s * m * k;
      for (int64_t j = 0; j < m * k; ++j) {
        sum[j] += o[j];
        sum2[j] += static_cast<double>(o[j]) * o[j];
      }
    }
    for (int64_t j = 0; j < m * k; ++j) {
      const double mean = sum[j] / samples;
      const double var = std::max(0.0, sum2[j] / samples - mean * mean);
      result.mean.data()[b * k + j] = static_cast<float>(mean);
      result.std.data()[b * k + j] = static_cast<float>(std::sqrt(var));
    }
  }
  return result;
}

}  // namespace profundo
