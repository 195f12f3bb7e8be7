// profundo-server: the Profundo gRPC training service.
//
//   profundo-server --listen=0.0.0.0:50051 --data_dir=/var/lib/profundo
//       --workers=1 --threads_per_worker=4 --predict_threads=2
//
// Security: --tls_cert/--tls_key (and --tls_client_ca for mutual TLS)
// serve the API over TLS; --tokens_file requires bearer tokens with roles
// (server/auth_policy.h); --health_listen adds a plaintext port serving
// only grpc.health.v1 for Kubernetes probes. A bad security flag or file
// stops the server with exit code 2 before it listens. Tokens and keys are
// never printed.
//
// OpenMP: --omp_wait_policy (default passive) is put into OMP_WAIT_POLICY
// by re-executing the binary once at startup, unless the environment sets
// OMP_WAIT_POLICY or GOMP_SPINCOUNT (server/omp_wait_policy.h).
//
// SIGTERM or SIGINT shuts down gracefully: running jobs stop within one
// batch and resume from their last epoch checkpoint at the next start;
// the process exits 0.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/layers/dnnl_util.h"
#include "server/omp_wait_policy.h"
#include "server/server.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:50051", "Address to listen on.");
ABSL_FLAG(std::string, data_dir, "", "Directory of the catalog and blobs.");
ABSL_FLAG(int, workers, 1, "Training workers (jobs run at the same time).");
ABSL_FLAG(int, threads_per_worker, 0,
          "oneDNN/OpenMP threads of each training worker; 0 = cores / "
          "workers. workers x threads_per_worker must not exceed the cores.");
ABSL_FLAG(int, predict_threads, 2,
          "Threads serving predictions (each keeps its own copy of the "
          "models it serves).");
ABSL_FLAG(int64_t, predict_batch_rows,
          profundo::server::Predictor::kDefaultBatchRows,
          "Most rows one batched prediction pass takes (concurrent small "
          "requests share a pass), 1..64.");
ABSL_FLAG(int, training_nice, 0,
          "Nice value (0..19) of the training threads: higher lets "
          "predictions take the cores from a running training job.");
ABSL_FLAG(std::string, omp_wait_policy, "passive",
          "OMP_WAIT_POLICY of the training threads' OpenMP teams: passive "
          "(sleep between parallel regions: predictions and other processes "
          "keep the cores), active (spin), or empty for libgomp's default "
          "(spin a while, then sleep). The environment's OMP_WAIT_POLICY or "
          "GOMP_SPINCOUNT, if set, wins.");
ABSL_FLAG(int64_t, max_upload_bytes, int64_t{1} << 30,
          "Largest dataset upload accepted, in bytes.");
ABSL_FLAG(int, max_queued_jobs, 64, "Jobs that may wait in the queue.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain of the server: serve TLS (with --tls_key).");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA certificates: require client certificates they signed "
          "(mutual TLS; needs --tls_cert).");
ABSL_FLAG(std::string, tokens_file, "",
          "Bearer tokens, one per line: '<token> <role> [name]', role admin "
          "or predict. Without it every client may call every RPC.");
ABSL_FLAG(std::string, health_listen, "",
          "Also listen here in plaintext for grpc.health.v1 only "
          "(Kubernetes probes when --listen uses TLS).");

// Limits (server/limits.h): a request beyond one gets RESOURCE_EXHAUSTED
// naming the field, the flag and the limit.
ABSL_FLAG(int64_t, max_dataset_rows, profundo::server::Limits().max_dataset_rows,
          "Most rows (samples) an uploaded dataset may have.");
ABSL_FLAG(int64_t, max_features, profundo::server::Limits().max_features,
          "Most values per sample (features) an uploaded dataset may have.");
ABSL_FLAG(int64_t, max_dataset_bytes,
          profundo::server::Limits().max_dataset_bytes,
          "Largest decoded dataset (features and labels as float32, as "
          "training holds them); gzip IDX uploads are checked on their "
          "headers before they are inflated.");
ABSL_FLAG(int64_t, max_model_params, profundo::server::Limits().max_model_params,
          "Most parameters (trainable and not) a model may have; checked at "
          "SubmitJob and ValidateModel before any weight is allocated.");
ABSL_FLAG(int, max_layers, profundo::server::Limits().max_layers,
          "Most layers a model spec may have.");
ABSL_FLAG(int64_t, max_spec_bytes, profundo::server::Limits().max_spec_bytes,
          "Largest model spec accepted, in serialized bytes.");
ABSL_FLAG(int64_t, max_predict_rows, profundo::server::Limits().max_predict_rows,
          "Most rows (inputs.shape[0]) one Predict request may carry.");
ABSL_FLAG(int, max_mc_samples, profundo::server::Limits().max_mc_samples,
          "Most Monte Carlo dropout samples one Predict request may ask for.");

namespace {

// Exits 2 with "profundo-server: <message>" if `status` is an error.
void ExitIfError(const absl::Status& status) {
  if (status.ok()) return;
  std::fprintf(stderr, "profundo-server: %s\n",
               std::string(status.message()).c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "The Profundo training service. Example:\n"
      "  profundo-server --data_dir=/var/lib/profundo --listen=0.0.0.0:50051");
  absl::ParseCommandLine(argc, argv);

  // Before any thread starts: libgomp read the environment when it was
  // loaded, so a policy to set needs a fresh start of this binary.
  const std::string omp_wait_policy = absl::GetFlag(FLAGS_omp_wait_policy);
  ExitIfError(profundo::server::ValidateOmpWaitPolicy(omp_wait_policy));
  if (const auto policy = profundo::server::OmpWaitPolicyToSet(
          omp_wait_policy, std::getenv("OMP_WAIT_POLICY"),
          std::getenv("GOMP_SPINCOUNT"))) {
    const absl::Status reexec =
        profundo::server::ReexecWithOmpWaitPolicy(*policy, argv);
    std::fprintf(stderr, "profundo-server: WARNING: %s; OpenMP keeps %s\n",
                 std::string(reexec.message()).c_str(),
                 profundo::server::DescribeOmpWaitPolicy(nullptr, nullptr).c_str());
  }
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex lock (the
  // server's and gRPC's) would also record stack traces and update a lock
  // graph for deadlock detection: a debugging aid, not for serving. The
  // service tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the shutdown signals in every thread; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  profundo::server::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.workers = absl::GetFlag(FLAGS_workers);
  options.threads_per_worker = absl::GetFlag(FLAGS_threads_per_worker);
  if (options.threads_per_worker == 0 && options.workers > 0) {
    options.threads_per_worker = std::max(1, cores / options.workers);
  }
  options.predict_threads = absl::GetFlag(FLAGS_predict_threads);
  options.predict_batch_rows = absl::GetFlag(FLAGS_predict_batch_rows);
  options.training_nice = absl::GetFlag(FLAGS_training_nice);
  options.max_upload_bytes = absl::GetFlag(FLAGS_max_upload_bytes);
  options.max_queued_jobs = absl::GetFlag(FLAGS_max_queued_jobs);
  options.limits.max_dataset_rows = absl::GetFlag(FLAGS_max_dataset_rows);
  options.limits.max_features = absl::GetFlag(FLAGS_max_features);
  options.limits.max_dataset_bytes = absl::GetFlag(FLAGS_max_dataset_bytes);
  options.limits.max_model_params = absl::GetFlag(FLAGS_max_model_params);
  options.limits.max_layers = absl::GetFlag(FLAGS_max_layers);
  options.limits.max_spec_bytes = absl::GetFlag(FLAGS_max_spec_bytes);
  options.limits.max_predict_rows = absl::GetFlag(FLAGS_max_predict_rows);
  options.limits.max_mc_samples = absl::GetFlag(FLAGS_max_mc_samples);
  options.health_listen = absl::GetFlag(FLAGS_health_listen);
  auto tls = profundo::server::LoadTlsServerConfig(
      absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
      absl::GetFlag(FLAGS_tls_client_ca));
  ExitIfError(tls.status());
  options.tls = *std::move(tls);
  const std::string tokens_file = absl::GetFlag(FLAGS_tokens_file);
  if (!tokens_file.empty()) {
    auto auth = profundo::server::AuthPolicy::FromFile(tokens_file);
    if (!auth.ok()) {
      ExitIfError(absl::InvalidArgumentError(
          absl::StrCat("--tokens_file: ", auth.status().message())));
    }
    options.auth =
        std::make_shared<profundo::server::AuthPolicy>(*std::move(auth));
  }
  ExitIfError(profundo::server::ValidateServerOptions(options, cores));
  // oneDNN's ~21 ms of GEMM kernel generation here, not in the first job
  // or the first Predict.
  profundo::WarmUpGemmKernels();

  auto server = profundo::server::ProfundoServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "profundo-server: %s\n",
                 server.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr,
               "profundo-server: listening on %s (port %d), data in %s, "
               "%d worker(s) x %d thread(s), OpenMP wait policy %s\n",
               options.listen.c_str(), (*server)->port(),
               options.data_dir.c_str(), options.workers,
               options.threads_per_worker,
               profundo::server::DescribeOmpWaitPolicy(
                   std::getenv("OMP_WAIT_POLICY"), std::getenv("GOMP_SPINCOUNT"))
                   .c_str());
  std::fprintf(stderr, "profundo-server: %s\n",
               (*server)->SecuritySummary().c_str());
  if (options.auth == nullptr) {
    std::fprintf(stderr,
                 "profundo-server: WARNING: no --tokens_file: every client "
                 "may call every RPC\n");
  }

  int signal = 0;
  sigwait(&signals, &signal);
  std::fprintf(stderr, "profundo-server: %s, shutting down\n",
               signal == SIGTERM ? "SIGTERM" : "SIGINT");
  (*server)->Shutdown();
  std::fprintf(stderr, "profundo-server: stopped\n");
  return 0;
}
