// profundo-server: the Profundo gRPC training service.
//
//   profundo-server --listen=0.0.0.0:50051 --data_dir=/var/lib/profundo
//       --workers=1 --threads_per_worker=4 --predict_threads=1
//
// SIGTERM or SIGINT shuts down gracefully: running jobs stop within one
// batch and resume from their last epoch checkpoint at the next start;
// the process exits 0.
#include <csignal>
#include <cstdio>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "server/server.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:50051", "Address to listen on.");
ABSL_FLAG(std::string, data_dir, "", "Directory of the catalog and blobs.");
ABSL_FLAG(int, workers, 1, "Training workers (jobs run at the same time).");
ABSL_FLAG(int, threads_per_worker, 0,
          "oneDNN/OpenMP threads of each training worker; 0 = cores / "
          "workers. workers x threads_per_worker must not exceed the cores.");
ABSL_FLAG(int, predict_threads, 1, "Threads serving predictions.");
ABSL_FLAG(int64_t, max_upload_bytes, int64_t{1} << 30,
          "Largest dataset upload accepted, in bytes.");
ABSL_FLAG(int, max_queued_jobs, 64, "Jobs that may wait in the queue.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "The Profundo training service. Example:\n"
      "  profundo-server --data_dir=/var/lib/profundo --listen=0.0.0.0:50051");
  absl::ParseCommandLine(argc, argv);

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
  options.max_upload_bytes = absl::GetFlag(FLAGS_max_upload_bytes);
  options.max_queued_jobs = absl::GetFlag(FLAGS_max_queued_jobs);
  absl::Status valid = profundo::server::ValidateServerOptions(options, cores);
  if (!valid.ok()) {
    std::fprintf(stderr, "profundo-server: %s\n",
                 std::string(valid.message()).c_str());
    return 2;
  }

  auto server = profundo::server::ProfundoServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "profundo-server: %s\n",
                 server.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr,
               "profundo-server: listening on %s (port %d), data in %s, "
               "%d worker(s) x %d thread(s)\n",
               options.listen.c_str(), (*server)->port(),
               options.data_dir.c_str(), options.workers,
               options.threads_per_worker);

  int signal = 0;
  sigwait(&signals, &signal);
  std::fprintf(stderr, "profundo-server: %s, shutting down\n",
               signal == SIGTERM ? "SIGTERM" : "SIGINT");
  (*server)->Shutdown();
  std::fprintf(stderr, "profundo-server: stopped\n");
  return 0;
}
