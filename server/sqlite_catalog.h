// SqliteCatalog: the Catalog in one SQLite database file (WAL journal,
// synchronous=FULL so a committed transaction survives a crash, busy
// timeout for concurrent readers). Records are stored as serialized protos
// next to the few columns used for lookups and filters.
//
// Thread-safe: one connection, serialized by a mutex.
//
// Example:
//   PROFUNDO_ASSIGN_OR_RETURN(auto catalog,
//                             SqliteCatalog::Open(data_dir + "/catalog.db"));
#ifndef PROFUNDO_SERVER_SQLITE_CATALOG_H_
#define PROFUNDO_SERVER_SQLITE_CATALOG_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "server/catalog.h"

struct sqlite3;

namespace profundo::server {

class SqliteCatalog final : public Catalog {
 public:
  // Opens or creates the database and its schema.
  static absl::StatusOr<std::unique_ptr<SqliteCatalog>> Open(
      const std::string& path);
  ~SqliteCatalog() override;
  SqliteCatalog(const SqliteCatalog&) = delete;
  SqliteCatalog& operator=(const SqliteCatalog&) = delete;

  absl::Status InsertDataset(DatasetRecord* record) override;
  absl::StatusOr<DatasetRecord> GetDataset(const std::string& id) override;
  absl::StatusOr<std::vector<DatasetRecord>> ListDatasets(int64_t after_seq,
                                                          int limit) override;
  absl::StatusOr<DatasetRecord> DeleteDataset(const std::string& id) override;

  absl::StatusOr<ModelRecord> GetModel(const std::string& id) override;
  absl::StatusOr<std::vector<ModelRecord>> ListModels(absl::string_view name,
                                                      int64_t after_seq,
                                                      int limit) override;
  absl::StatusOr<ModelVersionRecord> GetModelVersion(
      const std::string& model_id, int64_t version) override;
  // Counts this process's changes: one process owns the database file.
  int64_t ModelVersionsGeneration() const override;

  absl::Status InsertJob(JobRecord* job, absl::string_view model_name,
                         const v1::ModelVersion& version_info,
                         v1::JobEvent* event) override;
  absl::StatusOr<JobRecord> GetJob(const std::string& id) override;
  absl::StatusOr<std::vector<JobRecord>> ListJobs(const JobFilter& filter,
                                                  int64_t after_seq,
                                                  int limit) override;
  absl::StatusOr<std::vector<JobRecord>> ListActiveJobs() override;
  absl::Status UpdateJob(JobRecord* job, v1::JobEvent* event) override;
  absl::Status FinishJob(JobRecord* job, const ModelVersionRecord& version,
                         v1::JobEvent* event) override;
  absl::StatusOr<std::vector<v1::JobEvent>> ListJobEvents(
      const std::string& job_id, int64_t after_seq, int limit) override;

  absl::StatusOr<absl::flat_hash_set<std::string>> LiveBlobs() override;

 private:
  explicit SqliteCatalog(sqlite3* db);

  // Helpers that expect mu_ held and run inside a transaction.
  absl::Status UpdateJobLocked(JobRecord* job, v1::JobEvent* event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<ModelRecord> GetModelLocked(const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<JobRecord>> QueryJobs(const std::string& sql,
                                                   const JobFilter& filter,
                                                   int64_t after_seq,
                                                   int limit)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Serializes every use of the connection (statements, transactions).
  // std::mutex, not absl::Mutex: ThreadSanitizer sees only the former
  // (Debian's Abseil is not instrumented; see server/worker_pool.h).
  std::mutex mu_;
  sqlite3* const db_ ABSL_GUARDED_BY(mu_);
  // Bumped after each commit that changes a model version.
  std::atomic<int64_t> model_versions_generation_{0};
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_SQLITE_CATALOG_H_
