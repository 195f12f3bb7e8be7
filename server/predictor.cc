#include "server/predictor.h"

#include <omp.h>

#include <cstring>
#include <exception>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/status_macros.h"

namespace profundo::server {
namespace {

constexpr int kMaxMcSamples = 1000;
constexpr int kDefaultBatchSize = 32;

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// The request's inputs as a Tensor of the given shape (values or
// little-endian float32 bytes).
absl::StatusOr<Tensor> DecodeInputs(const v1::FloatTensor& inputs) {
  if (inputs.shape_size() < 1) {
    return Invalid("inputs.shape must have at least one dimension (rows)");
  }
  Shape shape(inputs.shape().begin(), inputs.shape().end());
  int64_t count = 1;
  for (int i = 0; i < inputs.shape_size(); ++i) {
    if (inputs.shape(i) <= 0 || inputs.shape(i) > (int64_t{1} << 31)) {
      return Invalid(absl::StrCat("inputs.shape[", i, "] must be > 0"));
    }
    count *= inputs.shape(i);
    if (count > (int64_t{1} << 31)) return Invalid("inputs: too many values");
  }
  if (inputs.values_size() > 0 && !inputs.data().empty()) {
    return Invalid("inputs: set either values or data, not both");
  }
  std::vector<float> values;
  if (!inputs.data().empty()) {
    if (static_cast<int64_t>(inputs.data().size()) != 4 * count) {
      return Invalid(absl::StrCat("inputs.data has ", inputs.data().size(),
                                  " bytes; shape ", ShapeToString(shape),
                                  " needs ", 4 * count, " (float32)"));
    }
    values.resize(count);
    // The wire format is little-endian, like every platform we build for.
    std::memcpy(values.data(), inputs.data().data(), inputs.data().size());
  } else {
    if (inputs.values_size() != count) {
      return Invalid(absl::StrCat("inputs.values has ", inputs.values_size(),
                                  " values; shape ", ShapeToString(shape),
                                  " needs ", count));
    }
    values.assign(inputs.values().begin(), inputs.values().end());
  }
  return Tensor(std::move(shape), std::move(values));
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

void Predictor::Predict(const v1::PredictRequest& request, Done done) {
  auto fail = [&](absl::Status status) { done(std::move(status)); };
  if (request.mc_samples() < 0 || request.mc_samples() > kMaxMcSamples) {
    return fail(Invalid(absl::StrCat("mc_samples must be in [0, ",
                                     kMaxMcSamples, "]")));
  }
  if (request.batch_size() < 0) return fail(Invalid("batch_size must be >= 0"));
  if (!request.has_inputs()) return fail(Invalid("inputs is required"));
  absl::StatusOr<ModelVersionRecord> version = ResolveVersion(request);
  if (!version.ok()) return fail(version.status());
  auto shared_done = std::make_shared<Done>(std::move(done));
  absl::Status queued = pool_->Submit(
      "", [this, &request, version = *std::move(version),
           shared_done](const TaskContext& context) {
        absl::StatusOr<v1::PredictResponse> result;
        try {
          result = Run(request, version, context.worker);
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
    const v1::PredictRequest& request, const ModelVersionRecord& version,
    int worker) {
  PROFUNDO_ASSIGN_OR_RETURN(Tensor x, DecodeInputs(request.inputs()));
  PROFUNDO_ASSIGN_OR_RETURN(Model * model, LoadModel(version, worker));
  const Shape& input = model->input_shape();
  const int64_t per_row = NumElements(input);
  if (x.row_size() != per_row) {
    return Invalid(absl::StrCat(
        "inputs.shape ", ShapeToString(x.shape()), ": each row must have ",
        per_row, " values (the model's input shape ", ShapeToString(input),
        ")"));
  }
  Shape shape = {x.dim(0)};
  shape.insert(shape.end(), input.begin(), input.end());
  x.Reshape(shape);
  const int batch_size =
      request.batch_size() > 0 ? request.batch_size() : kDefaultBatchSize;

  v1::PredictResponse response;
  response.set_model_id(version.model_id);
  response.set_version(version.version.version());
  Tensor probabilities;
  if (request.mc_samples() > 0) {
    absl::StatusOr<McPrediction> mc =
        model->PredictMc(x, request.mc_samples(), batch_size);
    if (!mc.ok()) {
      return absl::Status(mc.status().code(),
                          absl::StrCat("mc_samples: ", mc.status().message()));
    }
    probabilities = std::move(mc->mean);
    ToProto(mc->std, response.mutable_std());
  } else {
    PROFUNDO_ASSIGN_OR_RETURN(probabilities, model->Predict(x, batch_size));
  }
  ToProto(probabilities, response.mutable_probabilities());
  const int64_t rows = probabilities.dim(0);
  const int64_t k = probabilities.row_size();
  for (int64_t r = 0; r < rows; ++r) {
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

}  // namespace profundo::server
