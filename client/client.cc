#include "client/client.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/float_tensor.h"
#include "client/grpc_status.h"
#include "engine/status_macros.h"
#include "google/protobuf/wrappers.pb.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "zlib.h"

namespace profundo {
namespace {

// Appends `bytes` to a running CRC-32 (zlib's, IEEE 802.3).
uint32_t UpdateCrc32(uint32_t crc, absl::string_view bytes) {
  return static_cast<uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()),
            static_cast<uInt>(bytes.size())));
}

}  // namespace

const char* ServingStatusName(ServingStatus status) {
  switch (status) {
    case ServingStatus::kServing:
      return "SERVING";
    case ServingStatus::kNotServing:
      return "NOT_SERVING";
    case ServingStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
    case ServingStatus::kUnknown:
      break;
  }
  return "UNKNOWN";
}

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

Client::Client(std::shared_ptr<grpc::ChannelInterface> channel,
               ClientOptions options)
    : channel_(std::move(channel)),
      stub_(v1::Profundo::NewStub(channel_)),
      options_(std::move(options)) {}

std::unique_ptr<grpc::ClientContext> Client::MakeContext(
    const CallOptions& call, absl::Duration fallback) const {
  auto context = std::make_unique<grpc::ClientContext>();
  const absl::Duration timeout = call.timeout.value_or(fallback);
  if (timeout != absl::InfiniteDuration()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }
  if (!options_.bearer_token.empty()) {
    context->AddMetadata("authorization",
                         absl::StrCat("Bearer ", options_.bearer_token));
  }
  return context;
}

template <typename Request, typename Response>
absl::StatusOr<Response> Client::Unary(
    grpc::Status (v1::Profundo::StubInterface::*method)(
        grpc::ClientContext*, const Request&, Response*),
    const Request& request, const CallOptions& call) const {
  std::unique_ptr<grpc::ClientContext> context =
      MakeContext(call, options_.default_timeout);
  Response response;
  PROFUNDO_RETURN_IF_ERROR(FromGrpcStatus(
      (stub_.get()->*method)(context.get(), request, &response)));
  return response;
}

// ------------------------------------------------------------- datasets

absl::StatusOr<v1::Dataset> Client::UploadDataset(
    const DatasetUpload& upload, const CallOptions& call) const {
  v1::UploadDatasetRequest header_request;
  v1::UploadHeader* header = header_request.mutable_header();
  header->set_name(upload.name);
  header->set_format(upload.format);
  *header->mutable_csv() = upload.csv;
  PROFUNDO_ASSIGN_OR_RETURN(const int64_t features_bytes,
                            upload.features.Size());
  header->set_features_bytes(features_bytes);
  if (upload.labels.has_value()) {
    PROFUNDO_ASSIGN_OR_RETURN(const int64_t labels_bytes,
                              upload.labels->Size());
    header->set_labels_bytes(labels_bytes);
  }

  std::unique_ptr<grpc::ClientContext> context =
      MakeContext(call, options_.upload_timeout);
  v1::Dataset dataset;
  std::unique_ptr<grpc::ClientWriterInterface<v1::UploadDatasetRequest>>
      writer = stub_->UploadDataset(context.get(), &dataset);

  // A failed Write means the server already ended the call: its status (from
  // Finish) says why, so stop sending and fall through to Finish.
  bool broken = !writer->Write(header_request);
  // Sends one part; returns its CRC-32, or an error of our own (the file
  // changed size or could not be read), after which the call is cancelled.
  // Once the stream is broken it stops reading: Finish has the reason.
  auto send_part = [&](const UploadSource& source, v1::DatasetPart part,
                       int64_t declared) -> absl::StatusOr<uint32_t> {
    uint32_t crc = UpdateCrc32(0, absl::string_view());
    int64_t sent = 0;
    v1::UploadDatasetRequest request;
    request.mutable_chunk()->set_part(part);
    const absl::Status read = source.ForEachChunk(
        options_.upload_chunk_bytes, [&](absl::string_view chunk) {
          if (broken) return absl::CancelledError("stream closed");
          crc = UpdateCrc32(crc, chunk);
          sent += static_cast<int64_t>(chunk.size());
          request.mutable_chunk()->set_data(chunk.data(), chunk.size());
          broken = !writer->Write(request);
          return absl::OkStatus();
        });
    if (broken) return crc;  // unused: Finish reports the server's status
    PROFUNDO_RETURN_IF_ERROR(read);
    if (sent != declared) {
      return absl::DataLossError(absl::StrCat(
          source.Describe(), " changed during the upload: ", declared,
          " bytes expected, ", sent, " read"));
    }
    return crc;
  };

  v1::UploadDatasetRequest trailer_request;
  absl::Status local = [&]() -> absl::Status {
    PROFUNDO_ASSIGN_OR_RETURN(
        const uint32_t features_crc,
        send_part(upload.features, v1::DATASET_PART_FEATURES, features_bytes));
    trailer_request.mutable_trailer()->set_features_crc32(features_crc);
    if (upload.labels.has_value()) {
      PROFUNDO_ASSIGN_OR_RETURN(
          const uint32_t labels_crc,
          send_part(*upload.labels, v1::DATASET_PART_LABELS,
                    header->labels_bytes()));
      trailer_request.mutable_trailer()->set_labels_crc32(labels_crc);
    }
    return absl::OkStatus();
  }();
  if (!local.ok()) {
    context->TryCancel();
    (void)writer->Finish();
    return local;
  }
  if (!broken) broken = !writer->Write(trailer_request);
  if (!broken) writer->WritesDone();
  PROFUNDO_RETURN_IF_ERROR(FromGrpcStatus(writer->Finish()));
  return dataset;
}

absl::StatusOr<v1::Dataset> Client::GetDataset(const std::string& dataset_id,
                                               const CallOptions& call) const {
  v1::GetDatasetRequest request;
  request.set_dataset_id(dataset_id);
  return Unary(&v1::Profundo::StubInterface::GetDataset, request, call);
}

absl::StatusOr<v1::ListDatasetsResponse> Client::ListDatasets(
    const v1::ListDatasetsRequest& request, const CallOptions& call) const {
  return Unary(&v1::Profundo::StubInterface::ListDatasets, request, call);
}

absl::Status Client::DeleteDataset(const std::string& dataset_id,
                                   const CallOptions& call) const {
  v1::DeleteDatasetRequest request;
  request.set_dataset_id(dataset_id);
  return Unary(&v1::Profundo::StubInterface::DeleteDataset, request, call)
      .status();
}

// --------------------------------------------------------------- models

absl::StatusOr<v1::ValidateModelResponse> Client::ValidateModel(
    const v1::ValidateModelRequest& request, const CallOptions& call) const {
  return Unary(&v1::Profundo::StubInterface::ValidateModel, request, call);
}

absl::StatusOr<v1::ListModelsResponse> Client::ListModels(
    const v1::ListModelsRequest& request, const CallOptions& call) const {
  return Unary(&v1::Profundo::StubInterface::ListModels, request, call);
}

absl::StatusOr<v1::Model> Client::GetModel(const std::string& model_id,
                                           const CallOptions& call) const {
  v1::GetModelRequest request;
  request.set_model_id(model_id);
  return Unary(&v1::Profundo::StubInterface::GetModel, request, call);
}

// ----------------------------------------------------------------- jobs

absl::StatusOr<v1::Job> Client::SubmitJob(const v1::SubmitJobRequest& request,
                                          const CallOptions& call) const {
  return Unary(&v1::Profundo::StubInterface::SubmitJob, request, call);
}

absl::StatusOr<v1::Job> Client::GetJob(const std::string& job_id,
                                       const CallOptions& call) const {
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  return Unary(&v1::Profundo::StubInterface::GetJob, request, call);
}

absl::StatusOr<v1::ListJobsResponse> Client::ListJobs(
    const v1::ListJobsRequest& request, const CallOptions& call) const {
  return Unary(&v1::Profundo::StubInterface::ListJobs, request, call);
}

absl::StatusOr<v1::Job> Client::CancelJob(const std::string& job_id,
                                          const CallOptions& call) const {
  v1::CancelJobRequest request;
  request.set_job_id(job_id);
  return Unary(&v1::Profundo::StubInterface::CancelJob, request, call);
}

absl::Status Client::WatchOnce(const std::string& job_id, int64_t* last_seq,
                               const JobEventCallback& on_event,
                               const CallOptions& call, bool* stopped,
                               bool* terminal) const {
  std::unique_ptr<grpc::ClientContext> context =
      MakeContext(call, options_.watch_timeout);
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_after_seq(*last_seq);
  std::unique_ptr<grpc::ClientReaderInterface<v1::JobEvent>> reader =
      stub_->WatchJob(context.get(), request);
  v1::JobEvent event;
  while (reader->Read(&event)) {
    // After a reconnect the server replays from after_seq; never deliver an
    // event twice.
    if (event.seq() <= *last_seq) continue;
    *last_seq = event.seq();
    if (event.has_state_change() && IsTerminal(event.state_change().state())) {
      *terminal = true;
    }
    if (!on_event(event)) {
      *stopped = true;
      context->TryCancel();
      break;
    }
  }
  const grpc::Status status = reader->Finish();
  if (*stopped) return absl::OkStatus();
  return FromGrpcStatus(status);
}

absl::Status Client::WatchJob(const std::string& job_id, int64_t after_seq,
                              const JobEventCallback& on_event,
                              const CallOptions& call) const {
  int64_t last_seq = after_seq;
  int attempts = 0;
  absl::Duration backoff = options_.watch_reconnect_backoff;
  while (true) {
    bool stopped = false;
    bool terminal = false;
    const int64_t seq_before = last_seq;
    absl::Status status =
        WatchOnce(job_id, &last_seq, on_event, call, &stopped, &terminal);
    // The server ends the stream after the terminal event; a stream that
    // ends OK without one (nothing after after_seq) is done too.
    if (stopped || terminal || status.ok()) return absl::OkStatus();
    if (status.code() != absl::StatusCode::kUnavailable) return status;
    if (last_seq > seq_before) {
      attempts = 0;
      backoff = options_.watch_reconnect_backoff;
    }
    if (++attempts > options_.watch_max_reconnects) return status;
    absl::SleepFor(backoff);
    backoff *= 2;
  }
}

// --------------------------------------------------------------- health

absl::StatusOr<ServingStatus> Client::CheckHealth(
    const std::string& service, const CallOptions& call) const {
  // Debian ships no generated code for grpc/health/v1/health.proto, and its
  // two messages have the wire format of protobuf's wrappers:
  // HealthCheckRequest {string service = 1} is a StringValue and
  // HealthCheckResponse {ServingStatus status = 1} (an enum: a varint) an
  // Int32Value. A generic stub sends them by method name.
  grpc::TemplatedGenericStub<google::protobuf::StringValue,
                             google::protobuf::Int32Value>
      stub(channel_);
  google::protobuf::StringValue request;
  request.set_value(service);
  google::protobuf::Int32Value response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientContext> context =
      MakeContext(call, options_.default_timeout);
  grpc::CompletionQueue cq;
  auto rpc = stub.PrepareUnaryCall(context.get(),
                                   "/grpc.health.v1.Health/Check", request, &cq);
  rpc->StartCall();
  rpc->Finish(&response, &status, &status);
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);  // the call's one completion: Finish
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  PROFUNDO_RETURN_IF_ERROR(FromGrpcStatus(status));
  const int32_t value = response.value();
  if (value < 0 || value > static_cast<int32_t>(ServingStatus::kServiceUnknown)) {
    return ServingStatus::kUnknown;
  }
  return static_cast<ServingStatus>(value);
}

// ---------------------------------------------------------- predictions

absl::StatusOr<v1::PredictResponse> Client::Predict(
    const v1::PredictRequest& request, const CallOptions& call) const {
  return Unary(&v1::Profundo::StubInterface::Predict, request, call);
}

absl::StatusOr<v1::PredictResponse> Client::Predict(
    const std::string& model_id, absl::Span<const float> rows,
    int64_t features, int32_t mc_samples, int64_t version,
    const CallOptions& call) const {
  if (rows.empty()) return absl::InvalidArgumentError("predict: no rows");
  if (features <= 0 || rows.size() % static_cast<size_t>(features) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("predict: ", rows.size(),
                     " values do not make rows of ", features, " features"));
  }
  const auto n = static_cast<int64_t>(rows.size()) / features;
  const int64_t rows_per_request = std::clamp<int64_t>(
      static_cast<int64_t>(options_.max_predict_request_bytes) / (4 * features),
      1, std::max<int64_t>(1, options_.max_predict_request_rows));
  v1::PredictResponse merged;
  for (int64_t first = 0; first < n; first += rows_per_request) {
    const int64_t count = std::min(rows_per_request, n - first);
    v1::PredictRequest request;
    request.set_model_id(model_id);
    request.set_version(first == 0 ? version : merged.version());
    request.set_mc_samples(mc_samples);
    *request.mutable_inputs() = PackFloatTensor(
        rows.subspan(static_cast<size_t>(first * features),
                     static_cast<size_t>(count * features)),
        {count, features});
    PROFUNDO_ASSIGN_OR_RETURN(v1::PredictResponse part, Predict(request, call));
    if (first == 0) {
      merged = std::move(part);
      continue;
    }
    PROFUNDO_RETURN_IF_ERROR(
        AppendRows(part.probabilities(), merged.mutable_probabilities()));
    if (part.has_std()) {
      PROFUNDO_RETURN_IF_ERROR(AppendRows(part.std(), merged.mutable_std()));
    }
    merged.mutable_top_class()->MergeFrom(part.top_class());
    merged.mutable_top_probability()->MergeFrom(part.top_probability());
  }
  return merged;
}

}  // namespace profundo
