// Catalog: the server's durable record of datasets, models (with versions),
// training jobs and job events. The blobs themselves live in a BlobStore;
// the catalog holds their keys.
//
// This is the seam for scale-out (DESIGN.md): SqliteCatalog is the one
// implementation today; a shared database can implement the same interface
// for several replicas.
//
// Every method is atomic (one transaction) and thread-safe. Records are
// returned by value. Errors: NOT_FOUND for unknown ids, ALREADY_EXISTS for a
// duplicate id, INTERNAL for storage failures.
#ifndef PROFUNDO_SERVER_CATALOG_H_
#define PROFUNDO_SERVER_CATALOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "profundo/v1/service.pb.h"

namespace profundo::server {

struct DatasetRecord {
  v1::Dataset info;  // the API view
  v1::DataFormat format = v1::DATA_FORMAT_UNSPECIFIED;
  v1::CsvOptions csv;
  std::string features_blob;
  std::string labels_blob;  // empty for CSV
  int64_t seq = 0;          // creation order; set by the catalog
};

struct JobRecord {
  v1::Job job;  // the API view, kept current (state, history, last_seq...)
  // Deterministic serialization of the SubmitJobRequest without its job_id:
  // a retried submit with the same id must match it.
  std::string request;
  std::string checkpoint_blob;  // the latest epoch checkpoint, if any
  int64_t seq = 0;              // creation order; set by the catalog
};

struct ModelVersionRecord {
  std::string model_id;
  v1::ModelVersion version;
  std::string weights_blob;  // Model::Save() bytes, once READY
};

struct ModelRecord {
  v1::Model model;  // with all its versions
  int64_t seq = 0;
};

struct JobFilter {
  v1::JobState state = v1::JOB_STATE_UNSPECIFIED;  // any
  std::string dataset_id;                          // any if empty
};

class Catalog {
 public:
  virtual ~Catalog() = default;

  // ----- datasets
  virtual absl::Status InsertDataset(DatasetRecord* record) = 0;
  virtual absl::StatusOr<DatasetRecord> GetDataset(const std::string& id) = 0;
  // Up to `limit` datasets with seq > after_seq, in creation order.
  virtual absl::StatusOr<std::vector<DatasetRecord>> ListDatasets(
      int64_t after_seq, int limit) = 0;
  // Returns the deleted record (its blobs are the caller's to delete).
  // FAILED_PRECONDITION while a queued or running job uses the dataset.
  virtual absl::StatusOr<DatasetRecord> DeleteDataset(
      const std::string& id) = 0;

  // ----- models
  virtual absl::StatusOr<ModelRecord> GetModel(const std::string& id) = 0;
  // `name` empty = every model.
  virtual absl::StatusOr<std::vector<ModelRecord>> ListModels(
      absl::string_view name, int64_t after_seq, int limit) = 0;
  virtual absl::StatusOr<ModelVersionRecord> GetModelVersion(
      const std::string& model_id, int64_t version) = 0;
  // A number that changes after every committed change to a model version
  // (InsertJob adds one, FinishJob settles one), read without I/O: what a
  // caller resolved from GetModel/GetModelVersion is still true while it
  // stays the same (the Predictor caches on it). Read it before the lookups
  // it guards.
  virtual int64_t ModelVersionsGeneration() const = 0;

  // ----- jobs
  // In one transaction: finds or creates the model named `model_name`, adds
  // the next version (state TRAINING, `version_info`'s other fields), inserts
  // the job with its model_id/model_version filled in, and appends `event`
  // as the job's first event. Updates `job` and `event` (seq, ids).
  // `model_name` empty: the job trains no model (an LR range test); it gets
  // no model_id and no version, and `version_info` is unused.
  virtual absl::Status InsertJob(JobRecord* job, absl::string_view model_name,
                                 const v1::ModelVersion& version_info,
                                 v1::JobEvent* event) = 0;
  virtual absl::StatusOr<JobRecord> GetJob(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<JobRecord>> ListJobs(
      const JobFilter& filter, int64_t after_seq, int limit) = 0;
  // Queued and running jobs, in creation order.
  virtual absl::StatusOr<std::vector<JobRecord>> ListActiveJobs() = 0;
  // Writes `job`; if `event` is not null, appends it with the next seq (set
  // in `event` and in job->job.last_seq).
  virtual absl::Status UpdateJob(JobRecord* job, v1::JobEvent* event) = 0;
  // UpdateJob plus the job's model version, in one transaction (a job's end:
  // SUCCEEDED with the version READY, or FAILED/CANCELLED with it FAILED).
  virtual absl::Status FinishJob(JobRecord* job,
                                 const ModelVersionRecord& version,
                                 v1::JobEvent* event) = 0;
  // Up to `limit` events with seq > after_seq, in order.
  virtual absl::StatusOr<std::vector<v1::JobEvent>> ListJobEvents(
      const std::string& job_id, int64_t after_seq, int limit) = 0;

  // Every blob key the catalog references (for garbage collection).
  virtual absl::StatusOr<absl::flat_hash_set<std::string>> LiveBlobs() = 0;
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_CATALOG_H_
