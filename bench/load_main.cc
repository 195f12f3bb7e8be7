// profundo-load: the Predict load generator (bench/load_generator.h).
//
//   profundo-load --server 127.0.0.1:50051 --model_id m-... --clients 50
//       --seconds 60 [--warmup_seconds 2] [--mc_samples 0] [--channels 1]
//       [--target profundo|echo] [--token T] [--tls_ca ca.crt] [--json]
//
// Each request carries one Fashion-MNIST test image ([1, 28, 28] float32,
// raw 0-255 pixels, as `profundo predict` sends them; the model's stored
// standardization applies); clients cycle through --images_count images.
// Exits 0 when the run completed, whatever the error count (the report
// says it); 1 if it could not run; 2 for bad flags.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "bench/load_generator.h"
#include "client/channel.h"
#include "client/cli/input_file.h"
#include "client/float_tensor.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "host:port to load.");
ABSL_FLAG(std::string, target, "profundo",
          "profundo (profundo.v1.Profundo/Predict) or echo "
          "(profundo.bench.Echo/Predict, profundo-echo-server).");
ABSL_FLAG(std::string, model_id, "",
          "Model to predict with (required for --target=profundo; sent to "
          "the echo too, so both carry the same bytes).");
ABSL_FLAG(int, clients, 50, "Concurrent closed-loop clients (threads).");
ABSL_FLAG(int, channels, 1,
          "gRPC channels (one TCP connection each) the clients share "
          "round-robin; 1..clients.");
ABSL_FLAG(double, seconds, 20, "Measured seconds.");
ABSL_FLAG(double, warmup_seconds, 2, "Unmeasured seconds before.");
ABSL_FLAG(int, mc_samples, 0, "MC-dropout samples per request (0: plain).");
ABSL_FLAG(std::string, token, "",
          "Bearer token (default: $PROFUNDO_TOKEN).");
ABSL_FLAG(bool, tls, false, "TLS with the system's root CAs.");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA to trust (implies --tls).");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate (mutual TLS).");
ABSL_FLAG(std::string, tls_key, "", "PEM client key (mutual TLS).");
ABSL_FLAG(std::string, images,
          "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
          "IDX images (raw or gzip) to send, one per request.");
ABSL_FLAG(int, images_count, 1000, "How many of --images to cycle through.");
ABSL_FLAG(bool, json, false, "Print the report as one JSON object.");

namespace {

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "profundo-load: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Predict load generator. Example:\n"
      "  profundo-load --server 127.0.0.1:50051 --model_id m-... "
      "--clients 50 --seconds 60 --json");
  absl::ParseCommandLine(argc, argv);
  using profundo::bench::LoadOptions;
  LoadOptions options;
  absl::StatusOr<profundo::bench::LoadTarget> target =
      profundo::bench::ParseLoadTarget(absl::GetFlag(FLAGS_target));
  if (!target.ok()) return Fail(std::string(target.status().message()), 2);
  options.target = *target;
  options.server = absl::GetFlag(FLAGS_server);
  options.clients = absl::GetFlag(FLAGS_clients);
  options.channels = absl::GetFlag(FLAGS_channels);
  options.duration = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  options.warmup = absl::Seconds(absl::GetFlag(FLAGS_warmup_seconds));
  options.bearer_token = absl::GetFlag(FLAGS_token);
  if (options.bearer_token.empty() && std::getenv("PROFUNDO_TOKEN") != nullptr) {
    options.bearer_token = std::getenv("PROFUNDO_TOKEN");
  }
  options.security.tls = absl::GetFlag(FLAGS_tls);
  for (auto [flag, path, pem] :
       {std::tuple{"--tls_ca", absl::GetFlag(FLAGS_tls_ca), &options.security.root_certs_pem},
        std::tuple{"--tls_cert", absl::GetFlag(FLAGS_tls_cert), &options.security.cert_chain_pem},
        std::tuple{"--tls_key", absl::GetFlag(FLAGS_tls_key), &options.security.private_key_pem}}) {
    if (path.empty()) continue;
    absl::StatusOr<std::string> read = profundo::ReadPemFile(flag, path);
    if (!read.ok()) return Fail(std::string(read.status().message()), 2);
    *pem = *std::move(read);
  }
  const std::string model_id = absl::GetFlag(FLAGS_model_id);
  if (model_id.empty() && options.target == profundo::bench::LoadTarget::kProfundo) {
    return Fail("--model_id is required for --target=profundo", 2);
  }

  absl::StatusOr<profundo::cli::InputRows> images = profundo::cli::ReadInputRows(
      absl::GetFlag(FLAGS_images), {.first = 0, .count = absl::GetFlag(FLAGS_images_count)});
  if (!images.ok()) return Fail(images.status().ToString(), 1);
  const int64_t features = images->features();
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), images->sample_shape.begin(), images->sample_shape.end());
  std::vector<profundo::v1::PredictRequest> requests(images->rows);
  for (int64_t r = 0; r < images->rows; ++r) {
    profundo::v1::PredictRequest& request = requests[r];
    request.set_model_id(model_id);
    request.set_mc_samples(absl::GetFlag(FLAGS_mc_samples));
    *request.mutable_inputs() = profundo::PackFloatTensor(
        absl::MakeConstSpan(images->values).subspan(r * features, features), shape);
  }

  absl::StatusOr<profundo::bench::LoadReport> report =
      profundo::bench::RunLoad(options, requests);
  if (!report.ok()) {
    return Fail(report.status().ToString(),
                absl::IsInvalidArgument(report.status()) ? 2 : 1);
  }
  const std::string out = absl::GetFlag(FLAGS_json)
                              ? profundo::bench::LoadReportJson(*report)
                              : profundo::bench::LoadReportText(*report);
  std::fputs(out.c_str(), stdout);
  return 0;
}
