// ProfundoServer: the whole service in one object -- store (catalog and
// blobs under data_dir), cores, gRPC server with health checking and
// reflection. main.cc runs one; tests run several in process (a restart is
// Shutdown and a new Start on the same data_dir).
//
// Start() recovers: temp and unreferenced blobs are removed, and jobs left
// queued or running by an earlier process are queued again (running ones
// resume from their last epoch checkpoint).
//
// Shutdown(): health goes NOT_SERVING, new jobs are refused (UNAVAILABLE),
// running jobs stop within one batch and stay QUEUED for the next start,
// watches finish UNAVAILABLE, in-flight calls get a grace period, then the
// pools stop. Thread-safe; idempotent; also run by the destructor.
//
// Security (ServerOptions::tls, auth, health_listen): the API port speaks
// TLS when `tls` is set (mutual TLS when it has a client CA) and checks
// bearer tokens when `auth` is set (auth_policy.h); refused calls never
// reach a handler (port_credentials.h). grpc.health.v1 and reflection need
// no token. `health_listen` adds a plaintext port that serves only
// grpc.health.v1 (Kubernetes' gRPC probes cannot speak TLS).
//
// Example:
//   ServerOptions options;
//   options.listen = "127.0.0.1:0";
//   options.data_dir = dir;
//   PROFUNDO_ASSIGN_OR_RETURN(auto server, ProfundoServer::Start(options));
//   auto stub = v1::Profundo::NewStub(server->InProcessChannel());
#ifndef PROFUNDO_SERVER_SERVER_H_
#define PROFUNDO_SERVER_SERVER_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"
#include "server/auth_policy.h"
#include "server/blob_store.h"
#include "server/dataset_manager.h"
#include "server/env.h"
#include "server/job_event_hub.h"
#include "server/job_manager.h"
#include "server/limits.h"
#include "server/model_registry.h"
#include "server/predictor.h"
#include "server/service.h"
#include "server/sqlite_catalog.h"
#include "server/tls_config.h"

namespace profundo::server {

struct ServerOptions {
  std::string listen = "0.0.0.0:50051";  // "" = in-process only
  std::string data_dir;
  int workers = 1;             // training workers
  int threads_per_worker = 1;  // OpenMP threads of each
  int training_nice = 0;       // nice value of training threads, 0..19
  int predict_threads = 2;     // prediction pool size
  // Most rows of one batched prediction pass (Predictor::Options).
  int64_t predict_batch_rows = Predictor::kDefaultBatchRows;
  int64_t max_upload_bytes = int64_t{1} << 30;
  int max_queued_jobs = 64;
  Limits limits;  // rows, features, params, layers, spec, predict (limits.h)
  absl::Duration progress_interval = absl::Milliseconds(250);
  absl::Duration shutdown_grace = absl::Seconds(5);
  Env* env = nullptr;  // Env::Default() if null; not owned
  // TLS on `listen` (nullopt: plaintext).
  std::optional<TlsServerConfig> tls;
  // Bearer tokens and roles (null: every client may call every RPC).
  std::shared_ptr<const AuthPolicy> auth;
  // A plaintext port serving only grpc.health.v1 ("" = none).
  std::string health_listen;
};

// INVALID_ARGUMENT naming the flag when options are out of range, e.g.
// workers x threads_per_worker > `cores`.
absl::Status ValidateServerOptions(const ServerOptions& options, int cores);

class ProfundoServer {
 public:
  static absl::StatusOr<std::unique_ptr<ProfundoServer>> Start(
      ServerOptions options);
  ~ProfundoServer();
  ProfundoServer(const ProfundoServer&) = delete;
  ProfundoServer& operator=(const ProfundoServer&) = delete;

  // The TCP port bound (useful with "host:0"); 0 without a listen address.
  int port() const { return port_; }
  // The health-only port bound; 0 without options.health_listen.
  int health_port() const { return health_port_; }
  // One line for the log: TLS or plaintext, the token names and roles, the
  // health port. Never contains a token or key.
  std::string SecuritySummary() const;
  // The prediction batches run so far (Predictor::batch_stats).
  Predictor::BatchStats prediction_batches() const {
    return predictor_->batch_stats();
  }
  // In-process calls skip the ports' TLS and token checks: for tests and
  // callers inside this process only.
  std::shared_ptr<grpc::Channel> InProcessChannel();

  void Shutdown();
  // Blocks until Shutdown() has completed.
  void Wait();

 private:
  explicit ProfundoServer(ServerOptions options);
  absl::Status Init();

  const ServerOptions options_;
  std::unique_ptr<SqliteCatalog> catalog_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<DatasetManager> datasets_;
  std::unique_ptr<ModelRegistry> models_;
  std::unique_ptr<JobEventHub> hub_;
  std::unique_ptr<JobManager> jobs_;
  std::unique_ptr<Predictor> predictor_;
  std::unique_ptr<ProfundoService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  int health_port_ = 0;

  // std::mutex, not absl::Mutex: ThreadSanitizer sees only the former
  // (Debian's Abseil is not instrumented; see server/worker_pool.h).
  std::mutex mu_;
  std::condition_variable stopped_cv_;  // signalled when stopped_ is set
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;  // Shutdown() began
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;    // Shutdown() completed
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_SERVER_H_
