// profundo::Client: the C++ client of the Profundo service, one method per
// RPC of proto/profundo/v1/service.proto, each returning absl::Status or
// absl::StatusOr. gRPC errors come back with their canonical code and the
// server's message (NOT_FOUND -> absl::NotFoundError("...")).
//
// Deadlines: every unary call gets options.default_timeout unless the
// per-call CallOptions overrides it. UploadDataset uses
// options.upload_timeout (large files take a while). WatchJob uses no
// deadline by default: a training job may run for hours; the stream ends
// when the job reaches a terminal state, and a dropped connection
// (UNAVAILABLE) is re-established, resuming after the last event seen.
// absl::InfiniteDuration() means "no deadline" everywhere.
//
// Auth: when options.bearer_token is set, every call carries the metadata
// "authorization: Bearer <token>".
//
// Ownership and thread-safety: the client shares ownership of the injected
// channel (tests pass an in-process channel, the CLI a TCP one). All
// methods are const and thread-safe; concurrent calls multiplex over the
// one channel.
//
// Example:
//   Client client(grpc::CreateChannel("localhost:50051",
//                                     grpc::InsecureChannelCredentials()));
//   absl::StatusOr<v1::Job> job = client.SubmitJob(request);
//   if (!job.ok()) return job.status();
//   absl::Status done = client.WatchJob(job->id(), 0,
//       [](const v1::JobEvent& e) { Print(e); return true; });
//   auto pred = client.Predict(job->model_id(), rows, /*features=*/784,
//                              /*mc_samples=*/100);
#ifndef PROFUNDO_CLIENT_CLIENT_H_
#define PROFUNDO_CLIENT_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "client/dataset_upload.h"
#include "grpcpp/channel.h"
#include "profundo/v1/service.grpc.pb.h"

namespace profundo {

struct ClientOptions {
  // Deadline of unary calls.
  absl::Duration default_timeout = absl::Seconds(30);
  // Deadline of a whole UploadDataset stream.
  absl::Duration upload_timeout = absl::Minutes(30);
  // Deadline of a WatchJob stream (each connection); none by default.
  absl::Duration watch_timeout = absl::InfiniteDuration();
  // Sent as "authorization: Bearer <token>" when not empty.
  std::string bearer_token;
  // Upload chunk size: well under gRPC's 4 MB message limit.
  size_t upload_chunk_bytes = 1 << 20;
  // WatchJob reconnects after UNAVAILABLE up to this many times in a row
  // (the count resets whenever an event arrives), waiting
  // watch_reconnect_backoff, doubled each attempt.
  int watch_max_reconnects = 5;
  absl::Duration watch_reconnect_backoff = absl::Milliseconds(200);
  // Predict(model_id, rows, ...) splits its input into requests of at most
  // this many tensor bytes (gRPC's default message limit is 4 MB).
  size_t max_predict_request_bytes = 3 << 20;
  // ... and of at most this many rows (the server's --max_predict_rows
  // defaults to 10,000).
  int64_t max_predict_request_rows = 4096;
};

// Per-call overrides.
struct CallOptions {
  // Replaces the method's default deadline (InfiniteDuration: none).
  std::optional<absl::Duration> timeout;
};

// A server's serving status, as grpc.health.v1 reports it.
enum class ServingStatus {
  kUnknown = 0,
  kServing = 1,
  kNotServing = 2,
  kServiceUnknown = 3,
};
// "SERVING", "NOT_SERVING", ... (the proto's names).
const char* ServingStatusName(ServingStatus status);

// Called for each event of WatchJob, in seq order; return false to stop
// watching (WatchJob then returns OK).
using JobEventCallback = std::function<bool(const v1::JobEvent&)>;

class Client final {
 public:
  explicit Client(std::shared_ptr<grpc::ChannelInterface> channel,
                  ClientOptions options = {});
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const { return options_; }

  // ----------------------------------------------------------- datasets

  // Streams the header, the parts in chunks of options.upload_chunk_bytes
  // and a trailer with each part's CRC-32. The returned dataset is durable.
  absl::StatusOr<v1::Dataset> UploadDataset(const DatasetUpload& upload,
                                            const CallOptions& call = {}) const;
  absl::StatusOr<v1::Dataset> GetDataset(const std::string& dataset_id,
                                         const CallOptions& call = {}) const;
  absl::StatusOr<v1::ListDatasetsResponse> ListDatasets(
      const v1::ListDatasetsRequest& request,
      const CallOptions& call = {}) const;
  absl::Status DeleteDataset(const std::string& dataset_id,
                             const CallOptions& call = {}) const;

  // ------------------------------------------------------------- models

  absl::StatusOr<v1::ValidateModelResponse> ValidateModel(
      const v1::ValidateModelRequest& request,
      const CallOptions& call = {}) const;
  absl::StatusOr<v1::ListModelsResponse> ListModels(
      const v1::ListModelsRequest& request, const CallOptions& call = {}) const;
  absl::StatusOr<v1::Model> GetModel(const std::string& model_id,
                                     const CallOptions& call = {}) const;

  // --------------------------------------------------------------- jobs

  absl::StatusOr<v1::Job> SubmitJob(const v1::SubmitJobRequest& request,
                                    const CallOptions& call = {}) const;
  absl::StatusOr<v1::Job> GetJob(const std::string& job_id,
                                 const CallOptions& call = {}) const;
  absl::StatusOr<v1::ListJobsResponse> ListJobs(
      const v1::ListJobsRequest& request, const CallOptions& call = {}) const;
  absl::StatusOr<v1::Job> CancelJob(const std::string& job_id,
                                    const CallOptions& call = {}) const;

  // Calls `on_event` for each event with seq > after_seq until the job
  // reaches a terminal state (then OK) or `on_event` returns false (OK).
  // Reconnects on UNAVAILABLE as ClientOptions describes; other errors are
  // returned (NOT_FOUND for an unknown job).
  absl::Status WatchJob(const std::string& job_id, int64_t after_seq,
                        const JobEventCallback& on_event,
                        const CallOptions& call = {}) const;

  // ------------------------------------------------------------- health

  // grpc.health.v1.Health/Check for `service`: "" is the server as a whole,
  // "profundo.v1.Profundo" the API. NOT_FOUND for a service the server does
  // not know; UNAVAILABLE when the server cannot be reached.
  absl::StatusOr<ServingStatus> CheckHealth(const std::string& service = "",
                                            const CallOptions& call = {}) const;

  // -------------------------------------------------------- predictions

  absl::StatusOr<v1::PredictResponse> Predict(
      const v1::PredictRequest& request, const CallOptions& call = {}) const;
  // Packs `rows` as a [rows.size() / features, features] tensor, split into
  // as many requests as options.max_predict_request_bytes and
  // max_predict_request_rows need (all sent
  // to the version the first one used) and merges their responses.
  // INVALID_ARGUMENT if features <= 0 or does not divide rows.size().
  // mc_samples > 0 asks for the MC-dropout mean and std; version 0 is the
  // latest READY version.
  absl::StatusOr<v1::PredictResponse> Predict(
      const std::string& model_id, absl::Span<const float> rows,
      int64_t features, int32_t mc_samples = 0, int64_t version = 0,
      const CallOptions& call = {}) const;

 private:
  // A context with the deadline (`call` or `fallback`) and metadata set.
  std::unique_ptr<grpc::ClientContext> MakeContext(
      const CallOptions& call, absl::Duration fallback) const;

  // One unary RPC through the stub's synchronous method `method`.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Unary(
      grpc::Status (v1::Profundo::StubInterface::*method)(
          grpc::ClientContext*, const Request&, Response*),
      const Request& request, const CallOptions& call) const;

  // One WatchJob connection: events go to `on_event`; *last_seq tracks the
  // last delivered seq; *stopped is set if the callback stopped it;
  // *terminal if a terminal state arrived.
  absl::Status WatchOnce(const std::string& job_id, int64_t* last_seq,
                         const JobEventCallback& on_event,
                         const CallOptions& call, bool* stopped,
                         bool* terminal) const;

  std::shared_ptr<grpc::ChannelInterface> channel_;
  std::unique_ptr<v1::Profundo::StubInterface> stub_;
  ClientOptions options_;
};

// True for SUCCEEDED, FAILED and CANCELLED.
bool IsTerminal(v1::JobState state);

}  // namespace profundo

#endif  // PROFUNDO_CLIENT_CLIENT_H_
