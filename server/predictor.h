// Predictor: the prediction core behind Predict. Requests are checked on
// the caller's thread (within the server's limits, model and version exist
// and are READY, the tensor is well formed and finite), then run on the
// prediction WorkerPool -- separate from the training pool, so a long
// training job never delays a prediction. A request whose caller went away
// (cancelled, deadline passed) is dropped before it runs, or stops between
// chunks of rows, answering CANCELLED.
//
// oneDNN rule (see worker_pool.h): each prediction thread keeps its own
// small LRU cache of loaded models, indexed by TaskContext::worker and used
// only by that thread, so a Model is never shared between threads. A model
// used on two threads is loaded twice; that is the price of the rule.
//
// Thread-safe. The stores are not owned and must outlive the Predictor.
//
// Example:
//   predictor.Predict(request, [reactor, response](auto result) {
//     if (result.ok()) *response = *std::move(result);
//     reactor->Finish(ToGrpcStatus(result.status()));
//   });
#ifndef PROFUNDO_SERVER_PREDICTOR_H_
#define PROFUNDO_SERVER_PREDICTOR_H_

#include <functional>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model.h"
#include "profundo/v1/service.pb.h"
#include "server/blob_store.h"
#include "server/catalog.h"
#include "server/limits.h"
#include "server/worker_pool.h"

namespace profundo::server {

class Predictor {
 public:
  struct Options {
    int threads = 1;             // prediction threads
    int omp_threads = 1;         // OpenMP threads of each
    int max_queued = 256;        // waiting requests
    int models_per_thread = 4;   // cache size per thread
    // max_predict_rows and max_mc_samples apply here.
    Limits limits;
  };
  using Done = std::function<void(absl::StatusOr<v1::PredictResponse>)>;
  // True once the caller no longer wants the answer; called from any
  // thread until `done` runs.
  using Cancelled = std::function<bool()>;

  Predictor(Catalog* catalog, BlobStore* blobs, Options options);
  ~Predictor();
  Predictor(const Predictor&) = delete;
  Predictor& operator=(const Predictor&) = delete;

  // Calls `done` exactly once: inline for request errors, else from a
  // prediction thread. `request` must stay valid until then. `cancelled`
  // may be empty.
  void Predict(const v1::PredictRequest& request, Cancelled cancelled,
               Done done);

  // Finishes the queued requests, then stops the threads.
  void Shutdown();

 private:
  struct CachedModel {
    std::string model_id;
    int64_t version = 0;
    std::unique_ptr<Model> model;
  };
  // Most recently used first. Touched only by its own thread.
  using ModelCache = std::list<CachedModel>;

  // Resolves version 0 to the latest READY version; checks state.
  absl::StatusOr<ModelVersionRecord> ResolveVersion(
      const v1::PredictRequest& request);
  absl::StatusOr<v1::PredictResponse> Run(const v1::PredictRequest& request,
                                          Tensor x,
                                          const ModelVersionRecord& version,
                                          const Cancelled& cancelled,
                                          int worker);
  absl::StatusOr<Model*> LoadModel(const ModelVersionRecord& version,
                                   int worker);

  Catalog* const catalog_;
  BlobStore* const blobs_;
  const Options options_;
  // One per prediction thread; sized before the threads start.
  std::vector<ModelCache> caches_;
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_PREDICTOR_H_
