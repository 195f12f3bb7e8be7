// ModelRegistry: the models core behind ValidateModel, GetModel and
// ListModels. Trained models and their versions are created by JobManager;
// this only reads them (and validates specs).
//
// Thread-safe. The catalog and DatasetManager are not owned.
#ifndef PROFUNDO_SERVER_MODEL_REGISTRY_H_
#define PROFUNDO_SERVER_MODEL_REGISTRY_H_

#include <string>

#include "absl/status/statusor.h"
#include "profundo/v1/service.pb.h"
#include "server/catalog.h"
#include "server/dataset_manager.h"
#include "server/limits.h"

namespace profundo::server {

class ModelRegistry {
 public:
  // `limits`: what ValidateModel accepts (spec size, layers, parameters).
  ModelRegistry(Catalog* catalog, DatasetManager* datasets, Limits limits = {});
  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;

  absl::StatusOr<v1::ValidateModelResponse> Validate(
      const v1::ValidateModelRequest& request);
  absl::StatusOr<v1::Model> Get(const std::string& id);
  absl::StatusOr<v1::ListModelsResponse> List(
      const v1::ListModelsRequest& request);

 private:
  Catalog* const catalog_;
  DatasetManager* const datasets_;
  const Limits limits_;
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_MODEL_REGISTRY_H_
