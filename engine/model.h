// Model: a Keras Sequential model built from a v1::ModelSpec, with Keras's
// fit / evaluate / predict, plus MC-dropout prediction and summary.
//
// Owns its layers, parameters, optimizer, oneDNN context and random
// generator. Not thread-safe: one thread uses a Model at a time (see
// engine/context.h for the oneDNN rule). Same spec + same seed gives the same
// weights, shuffles, dropout masks and history.
//
// Example:
//   v1::ModelSpec spec = ...;                       // or ParseModelSpecJson
//   PROFUNDO_ASSIGN_OR_RETURN(auto model, Model::Create(spec));
//   FitOptions fit;  fit.epochs = 2;
//   PROFUNDO_ASSIGN_OR_RETURN(History h, model->Fit(train, std::move(fit)));
//   PROFUNDO_ASSIGN_OR_RETURN(Tensor p, model->Predict(test.x));
#ifndef PROFUNDO_ENGINE_MODEL_H_
#define PROFUNDO_ENGINE_MODEL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/callbacks/callback.h"
#include "engine/context.h"
#include "engine/datasets/dataset.h"
#include "engine/health/layer_health.h"
#include "engine/layers/layer.h"
#include "engine/losses/loss.h"
#include "engine/metrics/accuracy.h"
#include "engine/optimizers/optimizer.h"
#include "engine/parallel.h"
#include "engine/parameters.h"
#include "engine/preprocessing/standardizer.h"
#include "engine/rng.h"
#include "engine/step_times.h"
#include "engine/tensor.h"
#include "profundo/v1/model.pb.h"

namespace profundo {

// Reported after every training batch.
struct Progress {
  int epoch = 0;  // from 0
  int epochs = 0;
  int64_t batch = 0;  // batches done in this epoch, from 1
  int64_t batches = 0;
  double loss = 0;      // running mean over the epoch so far
  double accuracy = 0;  // running mean over the epoch so far
  double batch_loss = 0;  // this batch's loss alone
  double learning_rate = 0;  // the rate this batch's update used
  double seconds = 0;  // wall-clock seconds since the epoch's first step began
};

struct History {
  std::vector<EpochLogs> epochs;
  bool cancelled = false;  // the cancel flag stopped the fit
  bool stopped_early = false;
  // Wall-clock seconds of each epoch's training steps (not validation).
  std::vector<double> seconds;
};

struct FitOptions {
  int epochs = 1;
  int batch_size = 32;
  bool shuffle = true;
  // Last fraction of `train` held out before shuffling (Keras).
  double validation_split = 0.0;
  // Explicit validation data; overrides validation_split. Not owned.
  const Dataset* validation_data = nullptr;
  std::vector<std::unique_ptr<Callback>> callbacks;
  // Called after every batch and after every epoch (from the fit's thread).
  std::function<void(const Progress&)> on_batch_end;
  std::function<void(const EpochLogs&)> on_epoch_end;
  // Checked before every batch; when it becomes true the fit returns the
  // history so far with cancelled = true. Not owned.
  const std::atomic<bool>* cancel = nullptr;
  // Called at the end of every epoch with a serialized v1::Checkpoint
  // (weights, optimizer slots, callback state, RNG state, history, epoch).
  std::function<void(const std::string& checkpoint)> on_checkpoint;
  // A serialized v1::Checkpoint from on_checkpoint of an earlier run with the
  // same spec, data and options: the fit continues after its epoch and ends
  // as the uninterrupted run would have. Not owned.
  const std::string* resume_from = nullptr;
  // Every `health_every` global steps (0 = never) the fit measures per-layer
  // health (engine/health/layer_health.h) and calls on_health with it.
  int health_every = 0;
  std::function<void(const HealthReport&)> on_health;
  // Every step in this mode instead of TeamSizeTuner's choice (for tests
  // and benchmarks; engine/parallel.h). kKernelHalves runs a step that
  // splits no kernel (the first, before Dense has split) on one thread, and
  // every step when the caller's team is one thread.
  std::optional<StepTeam> step_team;
  // When set, Fit appends each epoch's StepTimes here (engine/step_times.h;
  // for benchmarks). Not owned.
  std::vector<StepTimes>* step_times = nullptr;
};

// TrainConfig.health_every_steps when unset (its measured cost is in the
// README, "Training health").
inline constexpr int kDefaultHealthEvery = 100;

// Builds FitOptions from the spec's TrainConfig (epochs, batch_size,
// shuffle, validation_split, callbacks, health_every_steps; on_health is
// the caller's). `field` prefixes error paths.
absl::StatusOr<FitOptions> FitOptionsFromConfig(const v1::TrainConfig& config,
                                                bool optimizer_has_schedule,
                                                std::string_view field = "");

struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};

// Per-class mean and standard deviation over MC samples, [N, K] each.
struct McPrediction {
  Tensor mean;
  Tensor std;
};

struct SummaryRow {
  std::string name;  // "dense_1"
  std::string type;  // "Dense"
  Shape output_shape;  // per sample; printed as (None, ...)
  int64_t params = 0;
};

struct Summary {
  std::string model_name;
  std::vector<SummaryRow> rows;
  int64_t total = 0;
  int64_t trainable = 0;
  int64_t non_trainable = 0;

  // Keras's model.summary() table.
  std::string ToString() const;
};

// What a spec builds, without its weights (Model::Describe).
struct ModelDescription {
  Shape input_shape;   // per sample
  Shape output_shape;  // per sample
  Summary summary;
};

class Model {
 public:
  // No model is allowed more parameters than this (2^40: 4 TiB of
  // weights), so parameter counts stay far from overflowing.
  static constexpr int64_t kMaxParams = int64_t{1} << 40;

  // Validates the spec (INVALID_ARGUMENT naming the field path, e.g.
  // "layers[2].dense.units must be > 0") and builds and initializes the
  // model from `seed`. RESOURCE_EXHAUSTED naming the first layer that takes
  // the parameter count (trainable and not) above `max_params`
  // (<= kMaxParams), checked before any weight is allocated.
  static absl::StatusOr<std::unique_ptr<Model>> Create(
      const v1::ModelSpec& spec, uint64_t seed = 42,
      int64_t max_params = kMaxParams);
  // Validates the spec exactly as Create does and describes the model it
  // builds, without allocating or initializing any weight: what a server
  // runs on specs from clients that may not train (ValidateModel).
  static absl::StatusOr<ModelDescription> Describe(
      const v1::ModelSpec& spec, int64_t max_params = kMaxParams);

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const v1::ModelSpec& spec() const { return spec_; }
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }
  Summary summary() const;

  // Trains on `train` (x [N, input_shape...], y as the loss expects).
  // INVALID_ARGUMENT when shapes or labels do not fit the model.
  // FAILED_PRECONDITION naming the epoch and step when a batch's loss is NaN
  // or infinite (the weights are then unusable; the last good state is the
  // last checkpoint on_checkpoint delivered, at the previous epoch's end).
  absl::StatusOr<History> Fit(const Dataset& train, FitOptions options);
  absl::StatusOr<Evaluation> Evaluate(const Dataset& data,
                                      int batch_size = 32);
  // Inference-mode outputs [N, K] (probabilities with a softmax head).
  absl::StatusOr<Tensor> Predict(const Tensor& x, int batch_size = 32);
  // `samples` stochastic passes with every dropout layer active and batch
  // norm on its moving statistics; all samples of a batch run as one batched
  // computation. FAILED_PRECONDITION if the model has no dropout layer.
  absl::StatusOr<McPrediction> PredictMc(const Tensor& x, int samples,
                                         int batch_size = 32);

  // The trained model (spec, weights, standardizer) as a serialized
  // v1::SavedModel, and back. Load validates everything it reads.
  absl::StatusOr<std::string> Save() const;
  static absl::StatusOr<std::unique_ptr<Model>> Load(std::string_view bytes);

  ParameterStore& parameters() { return params_; }
  const ParameterStore& parameters() const { return params_; }
  Optimizer& optimizer() { return *optimizer_; }
  Rng& rng() { return rng_; }
  Standardizer& standardizer() { return standardizer_; }
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }

  // Whether Fit may run a training step of `rows` rows on a PairRegion
  // (engine/pair_region.h; on a team of two, in kWhole and kKernelHalves
  // steps), inside which oneDNN's primitives get one thread: no layer runs
  // a oneDNN primitive of more than kPairRegionMaxDnnlMacs multiply-adds on
  // the team (Layer::TeamDnnlMacs). The seed BN model, float32, vCPUs far
  // apart, its 300x100 layer's oneDNN products then on one thread, second
  // epochs: batch 64 (1.9M multiply-adds each) 0.43-0.44 -> 0.39 s on a
  // PairRegion, batch 128 (3.8M) even, batch 256 (7.7M) even with the
  // tuner and 0.30 -> 0.32 on the whole team (bench/RESULTS.md, session
  // 22).
  static constexpr int64_t kPairRegionMaxDnnlMacs = 4'000'000;
  bool StepFitsPairRegion(int64_t rows);

 private:
  Model() = default;
  class FitControl;

  // Create up to, not including, allocating and initializing the weights.
  static absl::StatusOr<std::unique_ptr<Model>> Build(
      const v1::ModelSpec& spec, uint64_t seed, int64_t max_params);

  absl::Status CheckInputs(const Tensor& x, const Tensor* y,
                           const std::string& what) const;
  // Runs every layer on acts_[0]; returns the model's output
  // (probabilities with a fused head applied).
  const Tensor& ForwardBatch(Mode mode);
  // Where a batch of inputs goes before ForwardBatch: acts_[0], or the output
  // of the leading reshape-only layers (e.g. Flatten) that ForwardBatch skips,
  // so a batch is copied once. Shape {N} + batch_sample_shape_.
  Tensor& BatchInput() { return acts_[first_computing_layer_]; }
  // Loss (with regularization) and gradients for the last ForwardBatch.
  // early_updates: the layers may update their parameters during the
  // backward (Optimizer::BeginEarlyUpdates), when the loss is finite.
  double BackwardBatch(const Tensor& y, bool early_updates);
  // Whether a training step of `rows` rows splits a kernel's rows between
  // two threads (a kernel its Dense marked, Parameter::split_row, and
  // SplitInnerProduct::Applies at `rows`): kKernelHalves is worth trying.
  bool SplitsKernels(int64_t rows) const;
  // The batch's feature count when the first split kernel reads them
  // directly (its fan_in is that count), else 0: the input columns a
  // kKernelHalves step splits between its two threads (ScopedStepTeam).
  int64_t KernelHalvesInputColumns() const;
  double RegularizationPenalty() const;
  void AddRegularizationGradients();
  // head_out_ = the fused head's output for the last forward (acts_.back()
  // its logits): softmax or sigmoid.
  void ApplyHead();
  // The loss (and d loss / d logits into diff, if not null) of the last
  // forward's fused head against y: from the softmax ApplyHead computed
  // into head_out_, or from the logits.
  double HeadLoss(const Tensor& y, Tensor* diff) const;
  // Evaluate on data that is already standardized.
  absl::StatusOr<Evaluation> EvaluateStandardized(const Dataset& data,
                                                  int batch_size);
  // Checkpoint bytes of a fit in progress (model_io.cc).
  std::string MakeCheckpoint(const std::vector<std::unique_ptr<Callback>>& cbs,
                             const History& history, int epochs_done,
                             bool stop_training) const;
  absl::Status RestoreCheckpoint(const std::string& bytes,
                                 std::vector<std::unique_ptr<Callback>>& cbs,
                                 History* history, int* epochs_done,
                                 bool* stop_training);
  // Trainable then non-trainable values, concatenated.
  std::vector<float> GetWeights() const;
  void SetWeights(const std::vector<float>& weights);

  // Rows of one MC pass at most: samples x inputs per batched forward.
  // Passes small enough that a pass's replicated input, its dropout and
  // its activations stay in cache between the layers: the seed dropout
  // model, 100 samples x 10,000 images (profundo-bench --mc_samples 100,
  // 2 threads), 3,200-row passes 1.49-1.55 s float32 / 1.06-1.08 s bf16,
  // 2,000 rows 1.41-1.42 / 0.92-0.94, 1,000 rows 1.34-1.35 / 0.83, 500
  // rows 1.34-1.36 / 0.84-0.85.
  static constexpr int64_t kMcRowsPerPass = 1024;

  v1::ModelSpec spec_;
  Shape input_shape_;
  Shape output_shape_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Shape> layer_shapes_;  // per-sample output of each layer
  // Id of the first parameter of each layer (layers own consecutive ids).
  std::vector<int> layer_param_begin_;
  // Index of the first layer with a trainable parameter (layers_.size() if
  // none): BackwardBatch runs no layer before it and asks it for no
  // diff_src (e.g. the dropout model's Flatten, Dropout and Dense 784x300's
  // backward-data GEMM).
  size_t first_trainable_layer_ = 0;
  // Number of leading layers that only reshape (Layer::reshapes_only) and
  // the per-sample shape of their output (input_shape_ if none).
  size_t first_computing_layer_ = 0;
  Shape batch_sample_shape_;
  ParameterStore params_;
  std::unique_ptr<Loss> loss_;
  std::unique_ptr<Optimizer> optimizer_;
  AccuracyKind accuracy_kind_ = AccuracyKind::kSparseCategorical;
  // Softmax/sigmoid head computed with the loss from logits.
  std::optional<ActivationKind> fused_head_;
  Standardizer standardizer_;
  DnnlContext dnnl_;
  Rng rng_;
  // acts_[0] the batch, acts_[i + 1] the output of layer i; diffs_ likewise.
  std::vector<Tensor> acts_;
  std::vector<Tensor> diffs_;
  // The first trainable layer's diff_dst as column sums, when it takes them.
  ColumnSums first_sums_;
  Tensor head_out_;  // ApplyHead's output
  // During a training step that Fit times: where ForwardBatch and
  // BackwardBatch add their own and their layers' times. Null otherwise.
  StepTimes* step_times_ = nullptr;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_MODEL_H_
