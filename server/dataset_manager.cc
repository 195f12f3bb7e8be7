#include "server/dataset_manager.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/status_macros.h"
#include "server/dataset_decoder.h"
#include "server/ids.h"
#include "server/paging.h"
#include "server/time_util.h"

namespace profundo::server {

namespace {

absl::Status CancelledUpload() {
  return absl::CancelledError(
      "upload cancelled (by the client or its deadline); nothing was stored");
}

}  // namespace

DatasetManager::DatasetManager(Catalog* catalog, BlobStore* blobs,
                               Limits limits)
    : catalog_(catalog), blobs_(blobs), limits_(limits) {}

absl::StatusOr<v1::Dataset> DatasetManager::Create(
    const UploadedData& upload, const std::function<bool()>& cancelled) {
  auto is_cancelled = [&] { return cancelled != nullptr && cancelled(); };
  DatasetRecord record;
  record.format = upload.header.format();
  record.csv = upload.header.csv();
  record.info.set_id(NewId("ds"));
  record.info.set_name(upload.header.name());
  record.info.set_format(upload.header.format());
  record.info.set_size_bytes(
      static_cast<int64_t>(upload.features.size() + upload.labels.size()));
  *record.info.mutable_create_time() = ToProtoTime(absl::Now());
  {
    PROFUNDO_RETURN_IF_ERROR(CheckDeclaredSize(record.format, upload.features,
                                               upload.labels, limits_));
    PROFUNDO_ASSIGN_OR_RETURN(
        Dataset data, DecodeDataset(record.format, record.csv,
                                    upload.features, upload.labels));
    PROFUNDO_RETURN_IF_ERROR(DescribeDataset(data, limits_, &record.info));
  }
  if (is_cancelled()) return CancelledUpload();

  auto cleanup = [&] {
    if (!record.features_blob.empty()) {
      blobs_->Delete(record.features_blob).IgnoreError();
    }
    if (!record.labels_blob.empty()) {
      blobs_->Delete(record.labels_blob).IgnoreError();
    }
  };
  absl::StatusOr<std::string> key = blobs_->Put("dataset", upload.features);
  if (!key.ok()) return key.status();
  record.features_blob = *key;
  if (!upload.labels.empty()) {
    key = blobs_->Put("dataset", upload.labels);
    if (!key.ok()) {
      cleanup();
      return key.status();
    }
    record.labels_blob = *key;
  }
  if (is_cancelled()) {
    cleanup();
    return CancelledUpload();
  }
  absl::Status inserted = catalog_->InsertDataset(&record);
  if (!inserted.ok()) {
    cleanup();
    return inserted;
  }
  return record.info;
}

absl::StatusOr<DatasetRecord> DatasetManager::GetRecord(
    const std::string& id, absl::string_view field) {
  PROFUNDO_RETURN_IF_ERROR(ValidateClientId(id, field));
  absl::StatusOr<DatasetRecord> record = catalog_->GetDataset(id);
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError(
        absl::StrCat(field, ": dataset \"", id, "\" not found"));
  }
  return record;
}

absl::StatusOr<v1::Dataset> DatasetManager::Get(const std::string& id) {
  PROFUNDO_ASSIGN_OR_RETURN(DatasetRecord record, GetRecord(id, "dataset_id"));
  return record.info;
}

absl::StatusOr<v1::ListDatasetsResponse> DatasetManager::List(
    const v1::ListDatasetsRequest& request) {
  PROFUNDO_ASSIGN_OR_RETURN(Page page,
                            ParsePage(request.page_size(), request.page_token()));
  PROFUNDO_ASSIGN_OR_RETURN(std::vector<DatasetRecord> rows,
                            catalog_->ListDatasets(page.after_seq, page.size + 1));
  v1::ListDatasetsResponse response;
  response.set_next_page_token(TakePage(rows, page, [&](DatasetRecord& row) {
    *response.add_datasets() = std::move(row.info);
  }));
  return response;
}

absl::Status DatasetManager::Delete(const std::string& id) {
  PROFUNDO_RETURN_IF_ERROR(ValidateClientId(id, "dataset_id"));
  absl::StatusOr<DatasetRecord> record = catalog_->DeleteDataset(id);
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError(
        absl::StrCat("dataset_id: dataset \"", id, "\" not found"));
  }
  PROFUNDO_RETURN_IF_ERROR(record.status());
  // The catalog no longer references the blobs; a failure here only leaves
  // garbage that the next start collects.
  blobs_->Delete(record->features_blob).IgnoreError();
  if (!record->labels_blob.empty()) {
    blobs_->Delete(record->labels_blob).IgnoreError();
  }
  return absl::OkStatus();
}

absl::StatusOr<Dataset> DatasetManager::Load(const DatasetRecord& record) {
  PROFUNDO_ASSIGN_OR_RETURN(std::string features,
                            blobs_->Get(record.features_blob));
  std::string labels;
  if (!record.labels_blob.empty()) {
    PROFUNDO_ASSIGN_OR_RETURN(labels, blobs_->Get(record.labels_blob));
  }
  absl::StatusOr<Dataset> data =
      DecodeDataset(record.format, record.csv, features, labels);
  if (!data.ok()) {
    return absl::DataLossError(absl::StrCat("stored dataset ", record.info.id(),
                                            " no longer decodes: ",
                                            data.status().message()));
  }
  return data;
}

}  // namespace profundo::server
