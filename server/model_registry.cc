#include "server/model_registry.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "server/ids.h"
#include "server/paging.h"
#include "server/spec_validation.h"

namespace profundo::server {

ModelRegistry::ModelRegistry(Catalog* catalog, DatasetManager* datasets,
                             Limits limits)
    : catalog_(catalog), datasets_(datasets), limits_(limits) {}

absl::StatusOr<v1::ValidateModelResponse> ModelRegistry::Validate(
    const v1::ValidateModelRequest& request) {
  std::optional<DatasetRecord> dataset;
  SpecCheck check;
  if (!request.dataset_id().empty()) {
    PROFUNDO_ASSIGN_OR_RETURN(
        dataset, datasets_->GetRecord(request.dataset_id(), "dataset_id"));
    check.dataset = &*dataset;
  }
  if (request.has_config()) check.config = &request.config();
  check.limits = &limits_;
  v1::ModelSpec spec = request.spec();
  v1::ValidateModelResponse response;
  PROFUNDO_ASSIGN_OR_RETURN(*response.mutable_summary(),
                            ValidateSpec(&spec, check));
  return response;
}

absl::StatusOr<v1::Model> ModelRegistry::Get(const std::string& id) {
  PROFUNDO_RETURN_IF_ERROR(ValidateClientId(id, "model_id"));
  absl::StatusOr<ModelRecord> model = catalog_->GetModel(id);
  if (absl::IsNotFound(model.status())) {
    return absl::NotFoundError(
        absl::StrCat("model_id: model \"", id, "\" not found"));
  }
  PROFUNDO_RETURN_IF_ERROR(model.status());
  return std::move(model->model);
}

absl::StatusOr<v1::ListModelsResponse> ModelRegistry::List(
    const v1::ListModelsRequest& request) {
  PROFUNDO_ASSIGN_OR_RETURN(Page page,
                            ParsePage(request.page_size(), request.page_token()));
  PROFUNDO_RETURN_IF_ERROR(ValidateName(request.name(), "name", /*required=*/false));
  PROFUNDO_ASSIGN_OR_RETURN(
      std::vector<ModelRecord> rows,
      catalog_->ListModels(request.name(), page.after_seq, page.size + 1));
  v1::ListModelsResponse response;
  response.set_next_page_token(TakePage(rows, page, [&](ModelRecord& row) {
    *response.add_models() = std::move(row.model);
  }));
  return response;
}

}  // namespace profundo::server
