// profundo-echo-server: the bare gRPC echo that bench/load.sh measures
// Predict against (bench/echo_server.h).
//
//   profundo-echo-server --listen=127.0.0.1:0
//
// Prints "listening on port N" on stderr once it serves; SIGTERM or SIGINT
// stops it (exit 0).
#include <csignal>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "bench/echo_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "Address to listen on.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Bare gRPC echo of profundo.v1.PredictRequest -> PredictResponse.\n"
      "  profundo-echo-server --listen=127.0.0.1:0");
  absl::ParseCommandLine(argc, argv);
  // As profundo-server's main: no deadlock detection on gRPC's absl::Mutex
  // locks (Debian's Abseil has it on), so both servers run alike.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto echo = profundo::bench::EchoServer::Start(absl::GetFlag(FLAGS_listen));
  if (!echo.ok()) {
    std::fprintf(stderr, "profundo-echo-server: %s\n",
                 echo.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "profundo-echo-server: listening on port %d\n",
               (*echo)->port());
  int signal = 0;
  sigwait(&signals, &signal);
  (*echo)->Shutdown();
  return 0;
}
