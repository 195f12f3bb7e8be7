// The Predict load generator: N closed-loop clients, each calling Predict
// with one prepared request at a time (cycling through `requests`, e.g. one
// Fashion-MNIST image each) for a warm-up and then a measured window, against
// either the real service (profundo::Client, client/client.h) or the bench
// echo (bench/echo_server.h) carrying the same messages.
//
// Clients are threads with synchronous calls; they share `channels` gRPC
// channels round-robin. Each channel has its own TCP connection (a local
// subchannel pool), so channels = clients gives one connection per client
// and channels = 1 multiplexes every client over one connection.
//
// A request counts if it started inside the measured window; throughput is
// those requests over the time from the window's start to the last one's
// end. Latencies are of successful calls; failures are counted per status
// code (the first message of each code is kept).
//
// RunLoad blocks for warmup + duration (+ the last calls). Thread-safe: it
// shares nothing between runs.
//
// Example:
//   LoadOptions options;
//   options.server = "127.0.0.1:50051";
//   options.clients = 50;
//   absl::StatusOr<LoadReport> report = RunLoad(options, requests);
//   std::cout << LoadReportText(*report);
#ifndef PROFUNDO_BENCH_LOAD_GENERATOR_H_
#define PROFUNDO_BENCH_LOAD_GENERATOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/channel.h"
#include "profundo/v1/service.pb.h"

namespace profundo::bench {

enum class LoadTarget {
  kProfundo,  // profundo.v1.Profundo/Predict through profundo::Client
  kEcho,      // profundo.bench.Echo/Predict (bench/echo.proto)
};
// "profundo" or "echo"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LoadTarget> ParseLoadTarget(const std::string& name);
const char* LoadTargetName(LoadTarget target);

struct LoadOptions {
  LoadTarget target = LoadTarget::kProfundo;
  std::string server = "127.0.0.1:50051";
  int clients = 50;
  int channels = 1;  // 1 .. clients
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration duration = absl::Seconds(20);
  absl::Duration call_timeout = absl::Seconds(30);
  // Sent as "authorization: Bearer <token>" when not empty.
  std::string bearer_token;
  // TLS of every channel (client/channel.h); plaintext by default.
  ChannelSecurity security;
};

struct LoadReport {
  std::string target;
  int clients = 0;
  int channels = 0;
  double seconds = 0;   // measured window (to the last call's end)
  int64_t requests = 0; // successful calls started in the window
  double rps = 0;       // requests / seconds
  // Latency of the successful calls, milliseconds.
  double mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  // Failed calls started in the window, by status code name ("UNAVAILABLE").
  std::map<std::string, int64_t> errors;
  // The first message seen for each code in `errors`.
  std::map<std::string, std::string> error_messages;

  int64_t error_count() const;
};

// Runs the load. `requests` (at least one) are sent as they are: each
// client starts at a different one and cycles. INVALID_ARGUMENT for bad
// options.
absl::StatusOr<LoadReport> RunLoad(const LoadOptions& options,
                                   const std::vector<v1::PredictRequest>& requests);

// One line per figure, for people.
std::string LoadReportText(const LoadReport& report);
// One JSON object (keys as the struct's fields), ending in a newline.
std::string LoadReportJson(const LoadReport& report);

// The q-quantile (0..1) of ascending `sorted` by the nearest-rank method;
// 0 for an empty vector.
double Quantile(const std::vector<double>& sorted, double q);

}  // namespace profundo::bench

#endif  // PROFUNDO_BENCH_LOAD_GENERATOR_H_
