// DatasetManager: the datasets core behind the dataset RPCs. Creating a
// dataset decodes it with the engine's readers (so bad data is rejected at
// upload), stores the original bytes as blobs and records it in the catalog;
// the dataset is durable once Create returns.
//
// Thread-safe. Catalog and BlobStore are not owned and must outlive it.
//
// Example:
//   DatasetManager datasets(catalog, blobs);
//   PROFUNDO_ASSIGN_OR_RETURN(v1::Dataset info, datasets.Create(upload));
//   PROFUNDO_ASSIGN_OR_RETURN(Dataset data, datasets.Load(info.id()));
#ifndef PROFUNDO_SERVER_DATASET_MANAGER_H_
#define PROFUNDO_SERVER_DATASET_MANAGER_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "engine/datasets/dataset.h"
#include "profundo/v1/service.pb.h"
#include "server/blob_store.h"
#include "server/catalog.h"
#include "server/limits.h"
#include "server/upload_assembler.h"

namespace profundo::server {

class DatasetManager {
 public:
  // `limits`: the rows and features an upload may have.
  DatasetManager(Catalog* catalog, BlobStore* blobs, Limits limits = {});
  DatasetManager(const DatasetManager&) = delete;
  DatasetManager& operator=(const DatasetManager&) = delete;

  // Validates, stores and records an assembled upload. On any failure
  // nothing is left behind (no blob, no catalog row). `cancelled` (may be
  // empty) is asked before each store step; once it says true, Create
  // removes what it wrote and returns CANCELLED.
  absl::StatusOr<v1::Dataset> Create(
      const UploadedData& upload,
      const std::function<bool()>& cancelled = nullptr);
  // NOT_FOUND "dataset_id: dataset ds-... not found".
  absl::StatusOr<v1::Dataset> Get(const std::string& id);
  absl::StatusOr<v1::ListDatasetsResponse> List(
      const v1::ListDatasetsRequest& request);
  // FAILED_PRECONDITION while an unfinished job uses it.
  absl::Status Delete(const std::string& id);

  // The stored record and its decoded data (for training). `field` names
  // the request field in errors ("dataset_id").
  absl::StatusOr<DatasetRecord> GetRecord(const std::string& id,
                                          absl::string_view field);
  absl::StatusOr<Dataset> Load(const DatasetRecord& record);

 private:
  Catalog* const catalog_;
  BlobStore* const blobs_;
  const Limits limits_;
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_DATASET_MANAGER_H_
