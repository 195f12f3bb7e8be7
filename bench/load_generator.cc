#include "bench/load_generator.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/echo.grpc.pb.h"
#include "client/channel.h"
#include "client/client.h"
#include "client/grpc_status.h"
#include "client/json.h"
#include "engine/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "grpcpp/support/channel_arguments.h"

namespace profundo::bench {
namespace {

using Clock = std::chrono::steady_clock;

// One Predict call on one channel; the response is dropped.
using Caller = std::function<absl::Status(const v1::PredictRequest&)>;

// One channel of a run: its own TCP connection (a local subchannel pool),
// gRPC's default message limits raised as the CLI does.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const LoadOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return CreateChannel(options.server, options.security, args);
}

Caller MakeCaller(const LoadOptions& options,
                  std::shared_ptr<grpc::Channel> channel) {
  if (options.target == LoadTarget::kProfundo) {
    ClientOptions client_options;
    client_options.default_timeout = options.call_timeout;
    client_options.bearer_token = options.bearer_token;
    auto client =
        std::make_shared<Client>(std::move(channel), std::move(client_options));
    return [client](const v1::PredictRequest& request) {
      return client->Predict(request).status();
    };
  }
  // The echo stub gets what Client puts on every call: a deadline and the
  // token's metadata.
  std::shared_ptr<Echo::Stub> stub = Echo::NewStub(std::move(channel));
  return [stub, timeout = options.call_timeout,
          token = options.bearer_token](const v1::PredictRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::PredictResponse response;
    return FromGrpcStatus(stub->Predict(&context, request, &response));
  };
}

// What one client thread saw in the measured window.
struct ClientTally {
  std::vector<double> latencies_ms;
  std::map<std::string, int64_t> errors;
  std::map<std::string, std::string> error_messages;
  Clock::time_point last_end{};
};

}  // namespace

absl::StatusOr<LoadTarget> ParseLoadTarget(const std::string& name) {
  if (name == "profundo") return LoadTarget::kProfundo;
  if (name == "echo") return LoadTarget::kEcho;
  return absl::InvalidArgumentError(
      absl::StrCat("--target must be profundo or echo, not \"", name, "\""));
}

const char* LoadTargetName(LoadTarget target) {
  return target == LoadTarget::kEcho ? "echo" : "profundo";
}

int64_t LoadReport::error_count() const {
  int64_t n = 0;
  for (const auto& [code, count] : errors) n += count;
  return n;
}

double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<size_t>(std::ceil(q * n));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

absl::StatusOr<LoadReport> RunLoad(
    const LoadOptions& options, const std::vector<v1::PredictRequest>& requests) {
  if (requests.empty()) return absl::InvalidArgumentError("no requests to send");
  if (options.clients < 1) return absl::InvalidArgumentError("--clients must be >= 1");
  if (options.channels < 1 || options.channels > options.clients) {
    return absl::InvalidArgumentError("--channels must be in [1, --clients]");
  }
  if (options.duration <= absl::ZeroDuration() ||
      options.warmup < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--seconds must be > 0 and --warmup_seconds >= 0");
  }
  std::vector<Caller> callers;
  for (int c = 0; c < options.channels; ++c) {
    PROFUNDO_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                              MakeChannel(options));
    callers.push_back(MakeCaller(options, std::move(channel)));
  }

  const Clock::time_point start = Clock::now();
  const Clock::time_point window_start =
      start + absl::ToChronoNanoseconds(options.warmup);
  const Clock::time_point window_end =
      window_start + absl::ToChronoNanoseconds(options.duration);
  std::vector<ClientTally> tallies(options.clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < options.clients; ++i) {
    threads.emplace_back([&, i] {
      const Caller& call = callers[i % callers.size()];
      ClientTally& tally = tallies[i];
      size_t next = (static_cast<size_t>(i) * 7919) % requests.size();
      for (;;) {
        const Clock::time_point begin = Clock::now();
        if (begin >= window_end) break;
        absl::Status status = call(requests[next]);
        const Clock::time_point end = Clock::now();
        next = (next + 1) % requests.size();
        if (begin < window_start) continue;
        tally.last_end = std::max(tally.last_end, end);
        if (status.ok()) {
          tally.latencies_ms.push_back(
              std::chrono::duration<double, std::milli>(end - begin).count());
          continue;
        }
        const std::string code = absl::StatusCodeToString(status.code());
        if (tally.errors[code]++ == 0) {
          tally.error_messages[code] = std::string(status.message());
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();

  LoadReport report;
  report.target = LoadTargetName(options.target);
  report.clients = options.clients;
  report.channels = options.channels;
  std::vector<double> all;
  Clock::time_point last_end = window_end;
  for (ClientTally& tally : tallies) {
    all.insert(all.end(), tally.latencies_ms.begin(), tally.latencies_ms.end());
    for (const auto& [code, count] : tally.errors) report.errors[code] += count;
    for (const auto& [code, message] : tally.error_messages) {
      report.error_messages.emplace(code, message);
    }
    last_end = std::max(last_end, tally.last_end);
  }
  std::sort(all.begin(), all.end());
  report.seconds = std::chrono::duration<double>(last_end - window_start).count();
  report.requests = static_cast<int64_t>(all.size());
  report.rps = static_cast<double>(report.requests) / report.seconds;
  double sum = 0;
  for (double v : all) sum += v;
  report.mean_ms = all.empty() ? 0 : sum / static_cast<double>(all.size());
  report.p50_ms = Quantile(all, 0.50);
  report.p90_ms = Quantile(all, 0.90);
  report.p99_ms = Quantile(all, 0.99);
  report.max_ms = all.empty() ? 0 : all.back();
  return report;
}

std::string LoadReportText(const LoadReport& r) {
  std::string text = absl::StrFormat(
      "target %s, %d clients over %d channel(s), %.1f s\n"
      "requests %d (%.0f/s)\n"
      "latency ms: mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n"
      "errors %d\n",
      r.target, r.clients, r.channels, r.seconds, r.requests, r.rps, r.mean_ms,
      r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms, r.error_count());
  for (const auto& [code, count] : r.errors) {
    absl::StrAppend(&text, "  ", code, ": ", count, " (first: ",
                    r.error_messages.at(code), ")\n");
  }
  return text;
}

std::string LoadReportJson(const LoadReport& r) {
  google::protobuf::Struct s;
  auto& f = *s.mutable_fields();
  f["target"].set_string_value(r.target);
  f["clients"].set_number_value(r.clients);
  f["channels"].set_number_value(r.channels);
  f["seconds"].set_number_value(r.seconds);
  f["requests"].set_number_value(static_cast<double>(r.requests));
  f["rps"].set_number_value(r.rps);
  f["mean_ms"].set_number_value(r.mean_ms);
  f["p50_ms"].set_number_value(r.p50_ms);
  f["p90_ms"].set_number_value(r.p90_ms);
  f["p99_ms"].set_number_value(r.p99_ms);
  f["max_ms"].set_number_value(r.max_ms);
  f["error_count"].set_number_value(static_cast<double>(r.error_count()));
  auto& errors = *f["errors"].mutable_struct_value()->mutable_fields();
  for (const auto& [code, count] : r.errors) {
    errors[code].set_number_value(static_cast<double>(count));
  }
  auto& messages = *f["error_messages"].mutable_struct_value()->mutable_fields();
  for (const auto& [code, message] : r.error_messages) {
    messages[code].set_string_value(message);
  }
  return MessageToJsonLine(s);
}

}  // namespace profundo::bench
