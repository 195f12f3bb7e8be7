// ProfundoService: the gRPC handlers of profundo.v1.Profundo. Each handler
// is thin: it calls one core (DatasetManager, ModelRegistry, JobManager,
// Predictor) and maps the absl::Status in one place (status_mapping.h).
// Streaming RPCs are the small reactors UploadReactor and WatchReactor.
// No exception crosses a handler: unary cores run under a catch-all that
// answers INTERNAL.
//
// Thread-safe (gRPC calls handlers concurrently). The cores are not owned
// and must outlive the grpc::Server.
#ifndef PROFUNDO_SERVER_SERVICE_H_
#define PROFUNDO_SERVER_SERVICE_H_

#include <cstdint>

#include "profundo/v1/service.grpc.pb.h"
#include "server/catalog.h"
#include "server/dataset_manager.h"
#include "server/job_event_hub.h"
#include "server/job_manager.h"
#include "server/model_registry.h"
#include "server/predictor.h"

namespace profundo::server {

class ProfundoService final : public v1::Profundo::CallbackService {
 public:
  struct Cores {
    Catalog* catalog = nullptr;
    DatasetManager* datasets = nullptr;
    ModelRegistry* models = nullptr;
    JobManager* jobs = nullptr;
    Predictor* predictor = nullptr;
    JobEventHub* hub = nullptr;
    int64_t max_upload_bytes = 0;
  };

  explicit ProfundoService(Cores cores);

  grpc::ServerReadReactor<v1::UploadDatasetRequest>* UploadDataset(
      grpc::CallbackServerContext* context, v1::Dataset* response) override;
  grpc::ServerUnaryReactor* GetDataset(grpc::CallbackServerContext* context,
                                       const v1::GetDatasetRequest* request,
                                       v1::Dataset* response) override;
  grpc::ServerUnaryReactor* ListDatasets(
      grpc::CallbackServerContext* context,
      const v1::ListDatasetsRequest* request,
      v1::ListDatasetsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteDataset(
      grpc::CallbackServerContext* context,
      const v1::DeleteDatasetRequest* request,
      v1::DeleteDatasetResponse* response) override;

  grpc::ServerUnaryReactor* ValidateModel(
      grpc::CallbackServerContext* context,
      const v1::ValidateModelRequest* request,
      v1::ValidateModelResponse* response) override;
  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* context,
                                       const v1::ListModelsRequest* request,
                                       v1::ListModelsResponse* response) override;
  grpc::ServerUnaryReactor* GetModel(grpc::CallbackServerContext* context,
                                     const v1::GetModelRequest* request,
                                     v1::Model* response) override;

  grpc::ServerUnaryReactor* SubmitJob(grpc::CallbackServerContext* context,
                                      const v1::SubmitJobRequest* request,
                                      v1::Job* response) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const v1::GetJobRequest* request,
                                   v1::Job* response) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const v1::ListJobsRequest* request,
                                     v1::ListJobsResponse* response) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* context,
                                      const v1::CancelJobRequest* request,
                                      v1::Job* response) override;
  grpc::ServerWriteReactor<v1::JobEvent>* WatchJob(
      grpc::CallbackServerContext* context,
      const v1::WatchJobRequest* request) override;

  grpc::ServerUnaryReactor* Predict(grpc::CallbackServerContext* context,
                                    const v1::PredictRequest* request,
                                    v1::PredictResponse* response) override;

 private:
  const Cores cores_;
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_SERVICE_H_
