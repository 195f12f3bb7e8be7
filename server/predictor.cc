#include "server/predictor.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <exception>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/datasets/dataset.h"
#include "engine/layers/primitive_cache.h"
#include "engine/status_macros.h"
#include "server/ids.h"

namespace profundo::server {
namespace {

constexpr int kDefaultBatchSize = 32;
// Models whose resolved versions are cached; past it the cache starts over.
constexpr size_t kMaxResolvedModels = 1024;
// Rows run between two looks at the caller's cancellation: 1024, or fewer
// with more than 16 MC samples (each row then costs `mc_samples` passes),
// but at least one batch.
constexpr int64_t kRowsPerChunk = 1024;

int64_t RowsPerChunk(int mc_samples, int batch_size) {
  return std::max<int64_t>(batch_size,
                           kRowsPerChunk * 16 / std::max(16, mc_samples));
}

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

Predictor::Options WithBatchRowsInRange(Predictor::Options options) {
  options.max_batch_rows = std::clamp<int64_t>(options.max_batch_rows, 1,
                                               Predictor::kMaxBatchRows);
  return options;
}

absl::Status CallerWentAway() {
  return absl::CancelledError(
      "prediction cancelled (by the client or its deadline)");
}

// The request's inputs as a Tensor of the given shape (values or
// little-endian float32 bytes): every dimension > 0, at most `max_rows`
// rows, exactly as many values as the shape needs, all finite.
absl::StatusOr<Tensor> DecodeInputs(const v1::FloatTensor& inputs,
                                    int64_t max_rows) {
  if (inputs.shape_size() < 1) {
    return Invalid("inputs.shape must have at least one dimension (rows)");
  }
  for (int i = 0; i < inputs.shape_size(); ++i) {
    if (inputs.shape(i) <= 0) {
      return Invalid(absl::StrCat("inputs.shape[", i, "] is ", inputs.shape(i),
                                  "; every dimension must be > 0"));
    }
  }
  PROFUNDO_RETURN_IF_ERROR(CheckLimit("inputs.shape[0]", inputs.shape(0),
                                      "max_predict_rows", max_rows));
  if (inputs.values_size() > 0 && !inputs.data().empty()) {
    return Invalid("inputs: set either values or data, not both");
  }
  const bool packed = !inputs.data().empty();
  const int64_t sent = packed ? static_cast<int64_t>(inputs.data().size() / 4)
                              : inputs.values_size();
  // For the messages only: built on an error, not per request.
  auto what = [&] {
    if (packed) {
      return absl::StrCat("inputs.data has ", inputs.data().size(), " bytes");
    }
    return absl::StrCat("inputs.values has ", inputs.values_size(), " values");
  };
  Shape shape(inputs.shape().begin(), inputs.shape().end());
  // The product, stopped as soon as it passes what was sent (no overflow).
  int64_t count = 1;
  for (int64_t d : shape) {
    if (count > sent / d) {
      return Invalid(absl::StrCat(what(), "; shape ", ShapeToString(shape),
                                  " needs more values than were sent"));
    }
    count *= d;
  }
  if (packed && static_cast<int64_t>(inputs.data().size()) != 4 * count) {
    return Invalid(absl::StrCat(what(), "; shape ", ShapeToString(shape),
                                " needs ", 4 * count, " (float32)"));
  }
  if (!packed && sent != count) {
    return Invalid(absl::StrCat(what(), "; shape ", ShapeToString(shape),
                                " needs ", count));
  }
  std::vector<float> values;
  if (packed) {
    values.resize(count);
    // The wire format is little-endian, like every platform we build for.
    std::memcpy(values.data(), inputs.data().data(), inputs.data().size());
  } else {
    values.assign(inputs.values().begin(), inputs.values().end());
  }
  Tensor x(std::move(shape), std::move(values));
  PROFUNDO_RETURN_IF_ERROR(CheckFinite(x, "inputs"));
  return x;
}

// Checks that each row of `x` holds the model's input and reshapes `x` to
// [rows, the model's input shape...].
absl::Status ToModelShape(const Model& model, Tensor* x) {
  const Shape& input = model.input_shape();
  const int64_t per_row = NumElements(input);
  if (x->row_size() != per_row) {
    return Invalid(absl::StrCat(
        "inputs.shape ", ShapeToString(x->shape()), ": each row must have ",
        per_row, " values (the model's input shape ", ShapeToString(input),
        ")"));
  }
  Shape shape = {x->dim(0)};
  shape.insert(shape.end(), input.begin(), input.end());
  x->Reshape(shape);
  return absl::OkStatus();
}

// Rows [begin, end) of `t` as a FloatTensor.
void ToProto(const Tensor& t, int64_t begin, int64_t end, v1::FloatTensor* out) {
  out->add_shape(end - begin);
  for (size_t i = 1; i < t.shape().size(); ++i) out->add_shape(t.shape()[i]);
  const int64_t k = t.row_size();
  out->mutable_values()->Add(t.data() + begin * k, t.data() + end * k);
}

// The response for rows [begin, end) of `probabilities` (and `stddev`).
v1::PredictResponse MakeResponse(const ModelVersionRecord& version,
                                 const Tensor& probabilities, int64_t begin,
                                 int64_t end, const Tensor* stddev = nullptr) {
  v1::PredictResponse response;
  response.set_model_id(version.model_id);
  response.set_version(version.version.version());
  ToProto(probabilities, begin, end, response.mutable_probabilities());
  if (stddev != nullptr) ToProto(*stddev, begin, end, response.mutable_std());
  const int64_t k = probabilities.row_size();
  for (int64_t r = begin; r < end; ++r) {
    const float* row = probabilities.data() + r * k;
    int64_t best = 0;
    for (int64_t c = 1; c < k; ++c) {
      if (row[c] > row[best]) best = c;
    }
    response.add_top_class(static_cast<int32_t>(best));
    response.add_top_probability(row[best]);
  }
  return response;
}

}  // namespace

Predictor::Predictor(Catalog* catalog, BlobStore* blobs, Options options)
    : catalog_(catalog),
      blobs_(blobs),
      options_(WithBatchRowsInRange(options)) {
  threads_.resize(std::max(1, options_.threads));
  WorkerPool::Options pool;
  pool.workers = std::max(1, options_.threads);
  pool.max_queued = pool.workers;  // drain tasks only; requests wait in pending_
  pool.name = "predict";
  const int omp_threads = options_.omp_threads;
  pool.thread_init = [omp_threads](int) { omp_set_num_threads(omp_threads); };
  pool_ = std::make_unique<WorkerPool>(std::move(pool));
}

Predictor::~Predictor() { Shutdown(); }

// Every padded batch shape stays in each layer's primitive cache: 1 ..
// kRowQuantum, then the multiples of kRowQuantum up to kMaxBatchRows.
static_assert(Predictor::kRowQuantum + Predictor::kMaxBatchRows /
                                           Predictor::kRowQuantum - 1 <=
              PrimitiveCache<int>::kMaxEntries);

int64_t Predictor::PaddedRows(int64_t rows) {
  if (rows <= kRowQuantum) return rows;
  return (rows + kRowQuantum - 1) / kRowQuantum * kRowQuantum;
}

Predictor::BatchStats Predictor::batch_stats() const {
  std::lock_guard<std::mutex> lock(queue_mu_);
  return batch_stats_;
}

void Predictor::Shutdown() {
  // Queued requests are served first: each has a caller waiting on `done`.
  pool_->WaitIdle();
  pool_->Shutdown(/*cancel_running=*/false);
}

absl::StatusOr<ModelVersionRecord> Predictor::ResolveVersion(
    const v1::PredictRequest& request) {
  if (request.model_id().empty()) return Invalid("model_id is required");
  PROFUNDO_RETURN_IF_ERROR(ValidateClientId(request.model_id(), "model_id"));
  if (request.version() < 0) return Invalid("version must be >= 0");
  absl::StatusOr<ModelRecord> model = catalog_->GetModel(request.model_id());
  if (absl::IsNotFound(model.status())) {
    return absl::NotFoundError(
        absl::StrCat("model_id: model \"", request.model_id(), "\" not found"));
  }
  PROFUNDO_RETURN_IF_ERROR(model.status());
  const v1::ModelVersion* chosen = nullptr;
  for (const v1::ModelVersion& v : model->model.versions()) {
    if (request.version() == 0 ? v.state() == v1::MODEL_VERSION_STATE_READY
                               : v.version() == request.version()) {
      chosen = &v;  // versions ascend: the last match is the latest
    }
  }
  if (chosen == nullptr && request.version() != 0) {
    return absl::NotFoundError(absl::StrCat("version: model ",
                                            request.model_id(),
                                            " has no version ",
                                            request.version()));
  }
  if (chosen == nullptr) {
    std::vector<std::string> states;
    for (const v1::ModelVersion& v : model->model.versions()) {
      states.push_back(absl::StrCat(
          "version ", v.version(), " is ",
          v1::ModelVersionState_Name(v.state()), " (job ", v.job_id(), ")"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "model_id: model ", request.model_id(),
        " has no trained version yet: ", absl::StrJoin(states, "; ")));
  }
  if (chosen->state() != v1::MODEL_VERSION_STATE_READY) {
    return absl::FailedPreconditionError(absl::StrCat(
        "version: model ", request.model_id(), " version ", chosen->version(),
        " is ", v1::ModelVersionState_Name(chosen->state()), " (job ",
        chosen->job_id(), "); predictions need a READY version"));
  }
  return catalog_->GetModelVersion(request.model_id(), chosen->version());
}

absl::StatusOr<Predictor::VersionPtr> Predictor::Resolve(
    const v1::PredictRequest& request) {
  // Read before the lookups: a change committed after this read bumps it,
  // so what is stored below is never taken for newer than it is.
  const int64_t generation = catalog_->ModelVersionsGeneration();
  {
    std::lock_guard<std::mutex> lock(resolved_mu_);
    auto model = resolved_.find(request.model_id());
    if (model != resolved_.end()) {
      auto it = model->second.find(request.version());
      if (it != model->second.end() && it->second.generation == generation) {
        return it->second.record;
      }
    }
  }
  PROFUNDO_ASSIGN_OR_RETURN(ModelVersionRecord record, ResolveVersion(request));
  auto shared = std::make_shared<const ModelVersionRecord>(std::move(record));
  std::lock_guard<std::mutex> lock(resolved_mu_);
  if (resolved_.size() >= kMaxResolvedModels &&
      !resolved_.contains(request.model_id())) {
    resolved_.clear();
  }
  resolved_[request.model_id()][request.version()] = {generation, shared};
  return shared;
}

void Predictor::Predict(const v1::PredictRequest& request,
                        Cancelled cancelled, Done done) {
  auto fail = [&](absl::Status status) { done(std::move(status)); };
  if (request.mc_samples() < 0) {
    return fail(Invalid(absl::StrCat("mc_samples is ", request.mc_samples(),
                                     "; it must be >= 0")));
  }
  absl::Status status =
      CheckLimit("mc_samples", request.mc_samples(), "max_mc_samples",
                 options_.limits.max_mc_samples);
  if (!status.ok()) return fail(status);
  if (request.batch_size() < 0) return fail(Invalid("batch_size must be >= 0"));
  if (!request.has_inputs()) return fail(Invalid("inputs is required"));
  absl::StatusOr<VersionPtr> version = Resolve(request);
  if (!version.ok()) return fail(version.status());
  absl::StatusOr<Tensor> x =
      DecodeInputs(request.inputs(), options_.limits.max_predict_rows);
  if (!x.ok()) return fail(x.status());
  Pending pending;
  pending.request = &request;
  pending.version = *std::move(version);
  pending.x = *std::move(x);
  pending.cancelled = std::move(cancelled);
  pending.done = std::move(done);
  pending.batchable = request.mc_samples() == 0 && request.batch_size() == 0 &&
                      pending.x.dim(0) <= options_.max_batch_rows;
  bool full = false;
  bool start_drain = false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    full = static_cast<int>(pending_.size()) >= options_.max_queued;
    if (!full) {
      pending_.push_back(std::move(pending));
      start_drain = drains_ < pool_->workers();
      if (start_drain) ++drains_;
    }
  }
  if (full) {
    return pending.done(absl::ResourceExhaustedError(
        "too many predictions are waiting; retry later"));
  }
  if (!start_drain) return;
  absl::Status started = pool_->Submit(
      "", [this](const TaskContext& context) { Drain(context.worker); });
  if (started.ok()) return;
  // The pool is shut down: fail what no drain is left to serve.
  std::deque<Pending> orphans;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (--drains_ == 0) orphans.swap(pending_);
  }
  for (Pending& p : orphans) p.done(started);
}

void Predictor::TakeBatch(std::vector<Pending>* batch) {
  batch->push_back(std::move(pending_.front()));
  pending_.pop_front();
  if (!batch->front().batchable) return;
  // Not a reference into `batch`, which grows below.
  const VersionPtr version = batch->front().version;
  int64_t rows = batch->front().x.dim(0);
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->batchable && rows + it->x.dim(0) <= options_.max_batch_rows &&
        it->version->model_id == version->model_id &&
        it->version->version.version() == version->version.version()) {
      rows += it->x.dim(0);
      batch->push_back(std::move(*it));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  ++batch_stats_.batches;
  batch_stats_.rows += rows;
  batch_stats_.largest_rows = std::max(batch_stats_.largest_rows, rows);
}

void Predictor::Drain(int worker) {
  std::vector<Pending>& batch = threads_[worker].batch;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (pending_.empty()) {
        --drains_;
        return;
      }
      TakeBatch(&batch);
    }
    std::vector<absl::StatusOr<v1::PredictResponse>> results;
    try {
      if (batch.front().batchable) {
        results = PredictBatch(&batch, worker);
      } else {
        Pending& p = batch.front();
        results.push_back(
            Run(*p.request, std::move(p.x), *p.version, p.cancelled, worker));
      }
    } catch (const std::exception& e) {  // nothing may escape a worker
      results.assign(batch.size(), absl::InternalError(
                                       absl::StrCat("internal error: ", e.what())));
    }
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
    batch.clear();  // keeps its capacity
  }
}

std::vector<absl::StatusOr<v1::PredictResponse>> Predictor::PredictBatch(
    std::vector<Pending>* batch, int worker) {
  const ModelVersionRecord& version = *batch->front().version;
  absl::StatusOr<Model*> model = LoadModel(version, worker);
  if (!model.ok()) return {batch->size(), model.status()};
  // Who still waits, with rows of the model's shape, gets a share of one
  // pass over all rows, padded with zero rows to a multiple of kRowQuantum.
  std::vector<absl::StatusOr<v1::PredictResponse>> results(batch->size());
  std::vector<bool> member(batch->size(), false);
  int64_t rows = 0;
  Shape shape;  // [padded rows, the model's input shape...]
  for (size_t i = 0; i < batch->size(); ++i) {
    Pending& p = (*batch)[i];
    if (p.cancelled != nullptr && p.cancelled()) {
      results[i] = CallerWentAway();  // it waited in the queue
      continue;
    }
    absl::Status shaped = ToModelShape(**model, &p.x);
    if (!shaped.ok()) {
      results[i] = shaped;
      continue;
    }
    member[i] = true;
    rows += p.x.dim(0);
    shape = p.x.shape();
  }
  if (rows == 0) return results;
  shape[0] = PaddedRows(rows);
  // Filled once: the members' rows, then zero rows up to the padded count.
  std::vector<float>& values = threads_[worker].rows;
  values.clear();
  for (size_t i = 0; i < batch->size(); ++i) {
    if (!member[i]) continue;
    const std::vector<float>& in = (*batch)[i].x.values();
    values.insert(values.end(), in.begin(), in.end());
  }
  values.resize(static_cast<size_t>(NumElements(shape)));
  Tensor x(shape, std::move(values));
  absl::StatusOr<Tensor> probabilities =
      (*model)->Predict(x, static_cast<int>(shape[0]));
  values = std::move(x.values());  // kept for the next pass
  int64_t begin = 0;
  for (size_t i = 0; i < batch->size(); ++i) {
    if (!member[i]) continue;
    if (!probabilities.ok()) {
      results[i] = probabilities.status();
      continue;
    }
    const int64_t end = begin + (*batch)[i].x.dim(0);
    results[i] = MakeResponse(version, *probabilities, begin, end);
    begin = end;
  }
  return results;
}

absl::StatusOr<Model*> Predictor::LoadModel(const ModelVersionRecord& version,
                                            int worker) {
  ModelCache& cache = threads_[worker].models;
  for (auto it = cache.begin(); it != cache.end(); ++it) {
    if (it->model_id == version.model_id &&
        it->version == version.version.version()) {
      cache.splice(cache.begin(), cache, it);
      return cache.front().model.get();
    }
  }
  PROFUNDO_ASSIGN_OR_RETURN(std::string bytes, blobs_->Get(version.weights_blob));
  PROFUNDO_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::Load(bytes));
  cache.push_front(CachedModel{version.model_id, version.version.version(),
                               std::move(model)});
  while (static_cast<int>(cache.size()) > std::max(1, options_.models_per_thread)) {
    cache.pop_back();
  }
  return cache.front().model.get();
}

absl::StatusOr<v1::PredictResponse> Predictor::Run(
    const v1::PredictRequest& request, Tensor x,
    const ModelVersionRecord& version, const Cancelled& cancelled, int worker) {
  auto gone = [&] { return cancelled != nullptr && cancelled(); };
  if (gone()) return CallerWentAway();  // it waited in the queue
  PROFUNDO_ASSIGN_OR_RETURN(Model * model, LoadModel(version, worker));
  PROFUNDO_RETURN_IF_ERROR(ToModelShape(*model, &x));
  const int64_t rows = x.dim(0);
  const int batch_size =
      request.batch_size() > 0 ? request.batch_size() : kDefaultBatchSize;

  // Chunks of rows, so that a caller who went away stops the work.
  std::vector<float> probabilities, stds;
  int64_t k = 0;
  const int64_t chunk_rows = RowsPerChunk(request.mc_samples(), batch_size);
  for (int64_t begin = 0; begin < rows; begin += chunk_rows) {
    if (gone()) return CallerWentAway();
    const int64_t end = std::min(rows, begin + chunk_rows);
    const Tensor chunk = rows <= chunk_rows ? std::move(x) : x.Rows(begin, end);
    Tensor p;
    if (request.mc_samples() > 0) {
      absl::StatusOr<McPrediction> mc =
          model->PredictMc(chunk, request.mc_samples(), batch_size);
      if (!mc.ok()) {
        return absl::Status(mc.status().code(),
                            absl::StrCat("mc_samples: ", mc.status().message()));
      }
      p = std::move(mc->mean);
      stds.insert(stds.end(), mc->std.values().begin(), mc->std.values().end());
    } else {
      PROFUNDO_ASSIGN_OR_RETURN(p, model->Predict(chunk, batch_size));
    }
    k = p.row_size();
    probabilities.insert(probabilities.end(), p.values().begin(),
                         p.values().end());
  }
  const Tensor out({rows, k}, std::move(probabilities));
  if (request.mc_samples() > 0) {
    const Tensor stddev({rows, k}, std::move(stds));
    return MakeResponse(version, out, 0, rows, &stddev);
  }
  return MakeResponse(version, out, 0, rows);
}

}  // namespace profundo::server
