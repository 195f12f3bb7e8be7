#include "server/service.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"
#include "server/upload_reactor.h"
#include "server/watch_reactor.h"

namespace profundo::server {
namespace {

// Runs `core` (returning absl::StatusOr<T> or absl::Status), stores the
// value in `response` and finishes the call with the mapped status.
template <typename Response, typename Core>
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context,
                                Response* response, Core core) {
  absl::Status status;
  try {
    auto result = core();
    if constexpr (std::is_same_v<decltype(result), absl::Status>) {
      status = result;
    } else {
      if (result.ok()) *response = *std::move(result);
      status = result.status();
    }
  } catch (const std::exception& e) {
    status = absl::InternalError(absl::StrCat("internal error: ", e.what()));
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

ProfundoService::ProfundoService(Cores cores) : cores_(cores) {}

grpc::ServerReadReactor<v1::UploadDatasetRequest>*
ProfundoService::UploadDataset(grpc::CallbackServerContext* context,
                               v1::Dataset* response) {
  return new UploadReactor(context, cores_.datasets, cores_.max_upload_bytes,
                           response);
}

grpc::ServerUnaryReactor* ProfundoService::GetDataset(
    grpc::CallbackServerContext* context, const v1::GetDatasetRequest* request,
    v1::Dataset* response) {
  return Unary(context, response,
               [&] { return cores_.datasets->Get(request->dataset_id()); });
}

grpc::ServerUnaryReactor* ProfundoService::ListDatasets(
    grpc::CallbackServerContext* context,
    const v1::ListDatasetsRequest* request,
    v1::ListDatasetsResponse* response) {
  return Unary(context, response,
               [&] { return cores_.datasets->List(*request); });
}

grpc::ServerUnaryReactor* ProfundoService::DeleteDataset(
    grpc::CallbackServerContext* context,
    const v1::DeleteDatasetRequest* request,
    v1::DeleteDatasetResponse* response) {
  return Unary(context, response,
               [&] { return cores_.datasets->Delete(request->dataset_id()); });
}

grpc::ServerUnaryReactor* ProfundoService::ValidateModel(
    grpc::CallbackServerContext* context,
    const v1::ValidateModelRequest* request,
    v1::ValidateModelResponse* response) {
  return Unary(context, response,
               [&] { return cores_.models->Validate(*request); });
}

grpc::ServerUnaryReactor* ProfundoService::ListModels(
    grpc::CallbackServerContext* context, const v1::ListModelsRequest* request,
    v1::ListModelsResponse* response) {
  return Unary(context, response, [&] { return cores_.models->List(*request); });
}

grpc::ServerUnaryReactor* ProfundoService::GetModel(
    grpc::CallbackServerContext* context, const v1::GetModelRequest* request,
    v1::Model* response) {
  return Unary(context, response,
               [&] { return cores_.models->Get(request->model_id()); });
}

grpc::ServerUnaryReactor* ProfundoService::SubmitJob(
    grpc::CallbackServerContext* context, const v1::SubmitJobRequest* request,
    v1::Job* response) {
  return Unary(context, response, [&] { return cores_.jobs->Submit(*request); });
}

grpc::ServerUnaryReactor* ProfundoService::GetJob(
    grpc::CallbackServerContext* context, const v1::GetJobRequest* request,
    v1::Job* response) {
  return Unary(context, response,
               [&] { return cores_.jobs->Get(request->job_id()); });
}

grpc::ServerUnaryReactor* ProfundoService::ListJobs(
    grpc::CallbackServerContext* context, const v1::ListJobsRequest* request,
    v1::ListJobsResponse* response) {
  return Unary(context, response, [&] { return cores_.jobs->List(*request); });
}

grpc::ServerUnaryReactor* ProfundoService::CancelJob(
    grpc::CallbackServerContext* context, const v1::CancelJobRequest* request,
    v1::Job* response) {
  return Unary(context, response,
               [&] { return cores_.jobs->Cancel(request->job_id()); });
}

grpc::ServerWriteReactor<v1::JobEvent>* ProfundoService::WatchJob(
    grpc::CallbackServerContext* context, const v1::WatchJobRequest* request) {
  return new WatchReactor(cores_.catalog, cores_.hub, *request);
}

grpc::ServerUnaryReactor* ProfundoService::Predict(
    grpc::CallbackServerContext* context, const v1::PredictRequest* request,
    v1::PredictResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Finished from a prediction thread (or inline on a request error);
  // `request` and `response` live until Finish.
  cores_.predictor->Predict(
      *request, [context] { return context->IsCancelled(); },
      [reactor, response](absl::StatusOr<v1::PredictResponse> result) {
        if (result.ok()) *response = *std::move(result);
        reactor->Finish(ToGrpcStatus(result.status()));
      });
  return reactor;
}

}  // namespace profundo::server
