// Predictor: the prediction core behind Predict. Requests are checked on
// the caller's thread (within the server's limits, model and version exist
// and are READY, the tensor is well formed and finite), then run on the
// prediction WorkerPool -- separate from the training pool, so a long
// training job never delays a prediction. A request whose caller went away
// (cancelled, deadline passed) is dropped before it runs, or stops between
// chunks of rows, answering CANCELLED.
//
// Batching: a prediction thread takes the oldest waiting request and, if it
// is a plain one (mc_samples 0, batch_size unset, at most
// Options::max_batch_rows rows), every other waiting plain request for the
// same model version, up to max_batch_rows rows in all, and runs them as one
// forward pass (PaddedRows: up to kRowQuantum rows exactly, more padded to a
// multiple of it; at most 15 shapes, which each layer's PrimitiveCache
// keeps). Under concurrent one-image requests this reads the weights once
// per batch instead of once per request. A pass costs more with more rows
// (`profundo-micro-bench --benchmark_filter=BM_Predict`, f32: one row ~16
// us, eight ~47, sixteen ~91 on Zen 4; ~13, ~19, ~32 on Zen 5), so a lone
// request is not padded to eight. The default cap, 16 rows, keeps
// the prediction threads and gRPC's threads working at the same time: with
// 64, fifty waiting one-image requests went into one pass and the rest of
// the server waited for it (bench/load.sh, three runs: 15.0k-15.8k
// Predict/s at 64 against 16.2k-16.5k at 16-24; the forward costs the same
// per row from 8 rows up). A row's probabilities may differ in the last
// bits with the batch it ran in; MC-dropout and larger requests run alone.
//
// Resolving (model_id, version) to a READY version record reads the catalog
// (two SQLite queries and the model's whole record); the results are cached
// and reused while Catalog::ModelVersionsGeneration() stays the same, so a
// steady stream of predictions costs no catalog work and a newly READY
// version is served from the next request on.
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

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
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
    int max_queued = 256;        // waiting requests (RESOURCE_EXHAUSTED past it)
    int models_per_thread = 4;   // cache size per thread
    // Most rows one batched forward pass takes, 1..kMaxBatchRows.
    int64_t max_batch_rows = kDefaultBatchRows;
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

  // The batched forward passes run so far (plain requests only; MC dropout
  // and large requests run alone and are not counted).
  struct BatchStats {
    int64_t batches = 0;
    int64_t rows = 0;          // requests' rows, before padding
    int64_t largest_rows = 0;  // most rows one pass took
  };
  BatchStats batch_stats() const;

  // The largest max_batch_rows, and its default.
  static constexpr int64_t kMaxBatchRows = 64;
  static constexpr int64_t kDefaultBatchRows = 16;
  // A batched pass runs PaddedRows(rows) rows: `rows` up to kRowQuantum,
  // else the next multiple of kRowQuantum (zero rows added).
  static constexpr int64_t kRowQuantum = 8;
  static int64_t PaddedRows(int64_t rows);

 private:
  struct CachedModel {
    std::string model_id;
    int64_t version = 0;
    std::unique_ptr<Model> model;
  };
  // Most recently used first.
  using ModelCache = std::list<CachedModel>;

  // A READY version's record, shared by the requests that resolve to it.
  using VersionPtr = std::shared_ptr<const ModelVersionRecord>;
  struct Resolved {
    int64_t generation = 0;  // Catalog::ModelVersionsGeneration() read before
    VersionPtr record;
  };
  // A checked request waiting for a prediction thread.
  struct Pending {
    const v1::PredictRequest* request = nullptr;
    VersionPtr version;
    Tensor x;  // the decoded inputs
    Cancelled cancelled;
    Done done;
    bool batchable = false;  // plain and small: may share a forward pass
  };
  // What one prediction thread keeps; touched only by that thread. The
  // buffers keep their capacity between batches: a new 50 KB allocation
  // per pass, and the growing vector of a batch's requests, had glibc
  // consolidate its free lists (~3% of the prediction threads each).
  struct ThreadState {
    ModelCache models;
    std::vector<Pending> batch;  // the batch being served
    std::vector<float> rows;     // its input rows
  };

  // ResolveVersion through resolved_.
  absl::StatusOr<VersionPtr> Resolve(const v1::PredictRequest& request);
  // Resolves version 0 to the latest READY version; checks state.
  absl::StatusOr<ModelVersionRecord> ResolveVersion(
      const v1::PredictRequest& request);
  // A prediction thread's task: runs batches off pending_ until it is empty.
  void Drain(int worker);
  // Moves the oldest pending request and the waiting ones that may join it
  // into the empty `batch`; counts a batch of plain requests in
  // batch_stats_.
  void TakeBatch(std::vector<Pending>* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_);
  // Runs one request alone (MC dropout, batch_size set, many rows).
  absl::StatusOr<v1::PredictResponse> Run(const v1::PredictRequest& request,
                                          Tensor x,
                                          const ModelVersionRecord& version,
                                          const Cancelled& cancelled,
                                          int worker);
  // Runs batchable requests of one version as one forward pass: one
  // result per request, in order.
  std::vector<absl::StatusOr<v1::PredictResponse>> PredictBatch(
      std::vector<Pending>* batch, int worker);
  absl::StatusOr<Model*> LoadModel(const ModelVersionRecord& version,
                                   int worker);

  Catalog* const catalog_;
  BlobStore* const blobs_;
  const Options options_;  // max_batch_rows within [1, kMaxBatchRows]
  // One per prediction thread; sized before the threads start.
  std::vector<ThreadState> threads_;
  // Two locks, never held together. std::mutex, not absl::Mutex:
  // ThreadSanitizer sees only the former (Debian's Abseil is not
  // instrumented; see server/worker_pool.h).
  // Guards resolved_.
  std::mutex resolved_mu_;
  // model_id -> requested version (0 = latest READY) -> READY record.
  absl::flat_hash_map<std::string, absl::flat_hash_map<int64_t, Resolved>>
      resolved_ ABSL_GUARDED_BY(resolved_mu_);
  // Guards pending_, drains_ and batch_stats_.
  mutable std::mutex queue_mu_;
  std::deque<Pending> pending_ ABSL_GUARDED_BY(queue_mu_);
  // Drain tasks queued or running on pool_ (at most options_.threads).
  int drains_ ABSL_GUARDED_BY(queue_mu_) = 0;
  BatchStats batch_stats_ ABSL_GUARDED_BY(queue_mu_);
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_PREDICTOR_H_
