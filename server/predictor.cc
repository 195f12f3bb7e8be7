#include "server/predictor.h"

#include <omp.h>

#include <cstring>
#include <exception>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/datasets/dataset.h"
#include "engine/status_macros.h"
#include "server/ids.h"

namespace profundo::server {
namespace {

constexpr int kDefaultBatchSize = 32;
// Rows run between two looks at the caller's cancellation.
constexpr int64_t kRowsPerChunk = 1024;

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
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
  const std::string what =
      packed ? absl::StrCat("inputs.data has ", inputs.data().size(), " bytes")
             : absl::StrCat("inputs.values has ", inputs.values_size(),
                            " values");
  Shape shape(inputs.shape().begin(), inputs.shape().end());
  // The product, stopped as soon as it passes what was sent (no overflow).
  int64_t count = 1;
  for (int64_t d : shape) {
    if (count > sent / d) {
      return Invalid(absl::StrCat(what, "; shape ", ShapeToString(shape),
                                  " needs more values than were sent"));
    }
    count *= d;
  }
  if (packed && static_cast<int64_t>(inputs.data().size()) != 4 * count) {
    return Invalid(absl::StrCat(what, "; shape ", ShapeToString(shape),
                                " needs ", 4 * count, " (float32)"));
  }
  if (!packed && sent != count) {
    return Invalid(absl::StrCat(what, "; shape ", ShapeToString(shape),
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

void ToProto(const Tensor& t, v1::FloatTensor* out) {
  for (int64_t d : t.shape()) out->add_shape(d);
  out->mutable_values()->Add(t.values().begin(), t.values().end());
}

}  // namespace

Predictor::Predictor(Catalog* catalog, BlobStore* blobs, Options options)
    : catalog_(catalog), blobs_(blobs), options_(options) {
  caches_.resize(std::max(1, options_.threads));
  WorkerPool::Options pool;
  pool.workers = std::max(1, options_.threads);
  pool.max_queued = options_.max_queued;
  const int omp_threads = options_.omp_threads;
  pool.thread_init = [omp_threads](int) { omp_set_num_threads(omp_threads); };
  pool_ = std::make_unique<WorkerPool>(std::move(pool));
}

Predictor::~Predictor() { Shutdown(); }

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
  absl::StatusOr<ModelVersionRecord> version = ResolveVersion(request);
  if (!version.ok()) return fail(version.status());
  absl::StatusOr<Tensor> x =
      DecodeInputs(request.inputs(), options_.limits.max_predict_rows);
  if (!x.ok()) return fail(x.status());
  auto shared_done = std::make_shared<Done>(std::move(done));
  auto shared_x = std::make_shared<Tensor>(*std::move(x));
  absl::Status queued = pool_->Submit(
      "", [this, &request, version = *std::move(version), shared_x,
           cancelled = std::move(cancelled),
           shared_done](const TaskContext& context) {
        absl::StatusOr<v1::PredictResponse> result;
        try {
          result = Run(request, std::move(*shared_x), version, cancelled,
                       context.worker);
        } catch (const std::exception& e) {  // nothing may escape a worker
          result = absl::InternalError(absl::StrCat("internal error: ", e.what()));
        }
        (*shared_done)(std::move(result));
      });
  if (!queued.ok()) {
    if (absl::IsResourceExhausted(queued)) {
      queued = absl::ResourceExhaustedError(
          "too many predictions are waiting; retry later");
    }
    (*shared_done)(queued);
  }
}

absl::StatusOr<Model*> Predictor::LoadModel(const ModelVersionRecord& version,
                                            int worker) {
  ModelCache& cache = caches_[worker];
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
  const Shape& input = model->input_shape();
  const int64_t per_row = NumElements(input);
  if (x.row_size() != per_row) {
    return Invalid(absl::StrCat(
        "inputs.shape ", ShapeToString(x.shape()), ": each row must have ",
        per_row, " values (the model's input shape ", ShapeToString(input),
        ")"));
  }
  const int64_t rows = x.dim(0);
  Shape shape = {rows};
  shape.insert(shape.end(), input.begin(), input.end());
  x.Reshape(shape);
  const int batch_size =
      request.batch_size() > 0 ? request.batch_size() : kDefaultBatchSize;

  v1::PredictResponse response;
  response.set_model_id(version.model_id);
  response.set_version(version.version.version());
  // Chunks of rows, so that a caller who went away stops the work.
  std::vector<float> probabilities, stds;
  int64_t k = 0;
  for (int64_t begin = 0; begin < rows; begin += kRowsPerChunk) {
    if (gone()) return CallerWentAway();
    const int64_t end = std::min(rows, begin + kRowsPerChunk);
    const Tensor chunk = rows <= kRowsPerChunk ? std::move(x) : x.Rows(begin, end);
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
  ToProto(out, response.mutable_probabilities());
  if (request.mc_samples() > 0) {
    ToProto(Tensor({rows, k}, std::move(stds)), response.mutable_std());
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = out.data() + r * k;
    int64_t best = 0;
    for (int64_t c = 1; c < k; ++c) {
      if (row[c] > row[best]) best = c;
    }
    response.add_top_class(static_cast<int32_t>(best));
    response.add_top_probability(row[best]);
  }
  return response;
}

}  // namespace profundo::server
