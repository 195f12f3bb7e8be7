#include "server/sqlite_catalog.h"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace profundo::server {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS datasets(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  info BLOB NOT NULL,
  format INTEGER NOT NULL,
  csv BLOB NOT NULL,
  features_blob TEXT NOT NULL,
  labels_blob TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS models(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  info BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS model_versions(
  model_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  info BLOB NOT NULL,
  weights_blob TEXT NOT NULL,
  PRIMARY KEY(model_id, version));
CREATE TABLE IF NOT EXISTS jobs(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  state INTEGER NOT NULL,
  dataset_id TEXT NOT NULL,
  validation_dataset_id TEXT NOT NULL,
  info BLOB NOT NULL,
  request BLOB NOT NULL,
  checkpoint_blob TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state);
CREATE INDEX IF NOT EXISTS jobs_by_dataset ON jobs(dataset_id);
CREATE TABLE IF NOT EXISTS job_events(
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event BLOB NOT NULL,
  PRIMARY KEY(job_id, seq));
)sql";

absl::Status SqlError(sqlite3* db, absl::string_view what) {
  int code = sqlite3_extended_errcode(db);
  std::string message = absl::StrCat("catalog: ", what, ": ", sqlite3_errmsg(db));
  if ((code & 0xff) == SQLITE_CONSTRAINT) {
    return absl::AlreadyExistsError(message);
  }
  if ((code & 0xff) == SQLITE_FULL) return absl::ResourceExhaustedError(message);
  if ((code & 0xff) == SQLITE_BUSY) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

absl::Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    return absl::InternalError(absl::StrCat("catalog: ", sql, ": ", message));
  }
  return absl::OkStatus();
}

// A prepared statement; parameters are 1-based, columns 0-based.
class Stmt {
 public:
  Stmt(sqlite3* db, absl::string_view sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()),
                           &stmt_, nullptr) != SQLITE_OK) {
      status_ = SqlError(db, sql);
    }
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Text(int i, absl::string_view v) {
    if (status_.ok()) {
      Check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()),
                              SQLITE_TRANSIENT));
    }
    return *this;
  }
  Stmt& Blob(int i, absl::string_view v) {
    if (status_.ok()) {
      Check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()),
                              SQLITE_TRANSIENT));
    }
    return *this;
  }
  Stmt& Proto(int i, const google::protobuf::Message& m) {
    return Blob(i, m.SerializeAsString());
  }
  Stmt& Int(int i, int64_t v) {
    if (status_.ok()) Check(sqlite3_bind_int64(stmt_, i, v));
    return *this;
  }

  // True if a row is available.
  absl::StatusOr<bool> Step() {
    PROFUNDO_RETURN_IF_ERROR(status_);
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqlError(db_, sqlite3_sql(stmt_));
  }
  absl::Status Run() { return Step().status(); }

  int64_t ColInt(int c) { return sqlite3_column_int64(stmt_, c); }
  std::string ColText(int c) {
    const unsigned char* p = sqlite3_column_text(stmt_, c);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      sqlite3_column_bytes(stmt_, c));
  }
  std::string ColBlob(int c) {
    const void* p = sqlite3_column_blob(stmt_, c);
    return p == nullptr ? std::string()
                        : std::string(static_cast<const char*>(p),
                                      sqlite3_column_bytes(stmt_, c));
  }
  absl::Status ColProto(int c, google::protobuf::Message* m) {
    if (!m->ParseFromString(ColBlob(c))) {
      return absl::DataLossError(absl::StrCat(
          "catalog: corrupt ", m->GetDescriptor()->name(), " record"));
    }
    return absl::OkStatus();
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK) status_ = SqlError(db_, "bind");
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  absl::Status status_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back if not committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {
    status_ = Exec(db, "BEGIN IMMEDIATE");
  }
  ~Transaction() {
    if (status_.ok() && !done_) Exec(db_, "ROLLBACK").IgnoreError();
  }
  const absl::Status& status() const { return status_; }
  absl::Status Commit() {
    done_ = true;
    PROFUNDO_RETURN_IF_ERROR(status_);
    absl::Status s = Exec(db_, "COMMIT");
    if (!s.ok()) Exec(db_, "ROLLBACK").IgnoreError();
    return s;
  }

 private:
  sqlite3* db_;
  absl::Status status_;
  bool done_ = false;
};

constexpr char kDatasetColumns[] =
    "seq, info, format, csv, features_blob, labels_blob";

absl::StatusOr<DatasetRecord> ReadDataset(Stmt& s) {
  DatasetRecord r;
  r.seq = s.ColInt(0);
  PROFUNDO_RETURN_IF_ERROR(s.ColProto(1, &r.info));
  r.format = static_cast<v1::DataFormat>(s.ColInt(2));
  PROFUNDO_RETURN_IF_ERROR(s.ColProto(3, &r.csv));
  r.features_blob = s.ColText(4);
  r.labels_blob = s.ColText(5);
  return r;
}

constexpr char kJobColumns[] = "seq, info, request, checkpoint_blob";

absl::StatusOr<JobRecord> ReadJob(Stmt& s) {
  JobRecord r;
  r.seq = s.ColInt(0);
  PROFUNDO_RETURN_IF_ERROR(s.ColProto(1, &r.job));
  r.request = s.ColBlob(2);
  r.checkpoint_blob = s.ColText(3);
  return r;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteCatalog>> SqliteCatalog::Open(
    const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::InternalError(
        absl::StrCat("catalog: cannot open ", path, ": ", message));
  }
  std::unique_ptr<SqliteCatalog> catalog(new SqliteCatalog(db));
  sqlite3_busy_timeout(db, 5000);
  PROFUNDO_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode=WAL"));
  PROFUNDO_RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous=FULL"));
  PROFUNDO_RETURN_IF_ERROR(Exec(db, kSchema));
  return catalog;
}

SqliteCatalog::SqliteCatalog(sqlite3* db) : db_(db) {}

SqliteCatalog::~SqliteCatalog() {
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_close(db_);
}

// ---------------------------------------------------------------- datasets

absl::Status SqliteCatalog::InsertDataset(DatasetRecord* record) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_,
         "INSERT INTO datasets(id, info, format, csv, features_blob, "
         "labels_blob) VALUES(?, ?, ?, ?, ?, ?)");
  s.Text(1, record->info.id())
      .Proto(2, record->info)
      .Int(3, record->format)
      .Proto(4, record->csv)
      .Text(5, record->features_blob)
      .Text(6, record->labels_blob);
  PROFUNDO_RETURN_IF_ERROR(s.Run());
  record->seq = sqlite3_last_insert_rowid(db_);
  return absl::OkStatus();
}

absl::StatusOr<DatasetRecord> SqliteCatalog::GetDataset(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kDatasetColumns,
                           " FROM datasets WHERE id = ?"));
  s.Text(1, id);
  PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("dataset ", id, " not found"));
  return ReadDataset(s);
}

absl::StatusOr<std::vector<DatasetRecord>> SqliteCatalog::ListDatasets(
    int64_t after_seq, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kDatasetColumns,
                           " FROM datasets WHERE seq > ? ORDER BY seq LIMIT ?"));
  s.Int(1, after_seq).Int(2, limit);
  std::vector<DatasetRecord> out;
  while (true) {
    PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    PROFUNDO_ASSIGN_OR_RETURN(DatasetRecord r, ReadDataset(s));
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<DatasetRecord> SqliteCatalog::DeleteDataset(
    const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_);
  PROFUNDO_RETURN_IF_ERROR(txn.status());
  DatasetRecord record;
  {
    Stmt s(db_, absl::StrCat("SELECT ", kDatasetColumns,
                             " FROM datasets WHERE id = ?"));
    s.Text(1, id);
    PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) {
      return absl::NotFoundError(absl::StrCat("dataset ", id, " not found"));
    }
    PROFUNDO_ASSIGN_OR_RETURN(record, ReadDataset(s));
  }
  {
    Stmt s(db_,
           "SELECT id FROM jobs WHERE (dataset_id = ? OR "
           "validation_dataset_id = ?) AND state IN (?, ?) ORDER BY seq LIMIT 1");
    s.Text(1, id).Text(2, id).Int(3, v1::JOB_STATE_QUEUED)
        .Int(4, v1::JOB_STATE_RUNNING);
    PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) {
      return absl::FailedPreconditionError(
          absl::StrCat("dataset_id: dataset ", id, " is used by job ",
                       s.ColText(0), ", which has not finished"));
    }
  }
  Stmt del(db_, "DELETE FROM datasets WHERE id = ?");
  del.Text(1, id);
  PROFUNDO_RETURN_IF_ERROR(del.Run());
  PROFUNDO_RETURN_IF_ERROR(txn.Commit());
  return record;
}

// ------------------------------------------------------------------ models

absl::StatusOr<ModelRecord> SqliteCatalog::GetModelLocked(
    const std::string& id) {
  ModelRecord r;
  {
    Stmt s(db_, "SELECT seq, info FROM models WHERE id = ?");
    s.Text(1, id);
    PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::NotFoundError(absl::StrCat("model ", id, " not found"));
    r.seq = s.ColInt(0);
    PROFUNDO_RETURN_IF_ERROR(s.ColProto(1, &r.model));
  }
  Stmt s(db_,
         "SELECT info FROM model_versions WHERE model_id = ? ORDER BY version");
  s.Text(1, id);
  while (true) {
    PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    PROFUNDO_RETURN_IF_ERROR(s.ColProto(0, r.model.add_versions()));
  }
  return r;
}

absl::StatusOr<ModelRecord> SqliteCatalog::GetModel(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return GetModelLocked(id);
}

absl::StatusOr<std::vector<ModelRecord>> SqliteCatalog::ListModels(
    absl::string_view name, int64_t after_seq, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> ids;
  {
    Stmt s(db_,
           "SELECT id FROM models WHERE seq > ? AND (? = '' OR name = ?) "
           "ORDER BY seq LIMIT ?");
    s.Int(1, after_seq).Text(2, name).Text(3, name).Int(4, limit);
    while (true) {
      PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ids.push_back(s.ColText(0));
    }
  }
  std::vector<ModelRecord> out;
  for (const std::string& id : ids) {
    PROFUNDO_ASSIGN_OR_RETURN(ModelRecord r, GetModelLocked(id));
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<ModelVersionRecord> SqliteCatalog::GetModelVersion(
    const std::string& model_id, int64_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_,
         "SELECT info, weights_blob FROM model_versions "
         "WHERE model_id = ? AND version = ?");
  s.Text(1, model_id).Int(2, version);
  PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("model ", model_id, " has no version ", version));
  }
  ModelVersionRecord r;
  r.model_id = model_id;
  PROFUNDO_RETURN_IF_ERROR(s.ColProto(0, &r.version));
  r.weights_blob = s.ColText(1);
  return r;
}

int64_t SqliteCatalog::ModelVersionsGeneration() const {
  return model_versions_generation_.load();
}

// -------------------------------------------------------------------- jobs

absl::Status SqliteCatalog::InsertJob(JobRecord* job,
                                      absl::string_view model_name,
                                      const v1::ModelVersion& version_info,
                                      v1::JobEvent* event) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_);
  PROFUNDO_RETURN_IF_ERROR(txn.status());

  // Find or create the model (none for a job that trains no model).
  std::string model_id;
  int64_t version = 0;
  if (!model_name.empty()) {
    Stmt s(db_, "SELECT id FROM models WHERE name = ?");
    s.Text(1, model_name);
    PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) model_id = s.ColText(0);
  }
  if (model_id.empty() && !model_name.empty()) {
    v1::Model model;
    model.set_id(job->job.model_id());  // chosen by the caller
    model.set_name(std::string(model_name));
    *model.mutable_create_time() = job->job.create_time();
    Stmt s(db_, "INSERT INTO models(id, name, info) VALUES(?, ?, ?)");
    s.Text(1, model.id()).Text(2, model.name()).Proto(3, model);
    PROFUNDO_RETURN_IF_ERROR(s.Run());
    model_id = model.id();
  }
  if (!model_id.empty()) {
    version = 1;
    Stmt s(db_,
           "SELECT COALESCE(MAX(version), 0) FROM model_versions "
           "WHERE model_id = ?");
    s.Text(1, model_id);
    PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) version = s.ColInt(0) + 1;
  }
  v1::ModelVersion info = version_info;
  info.set_version(version);
  info.set_state(v1::MODEL_VERSION_STATE_TRAINING);
  info.set_job_id(job->job.id());
  if (!model_id.empty()) {
    Stmt s(db_,
           "INSERT INTO model_versions(model_id, version, info, weights_blob) "
           "VALUES(?, ?, ?, '')");
    s.Text(1, model_id).Int(2, version).Proto(3, info);
    PROFUNDO_RETURN_IF_ERROR(s.Run());
  }

  job->job.set_model_id(model_id);
  job->job.set_model_version(version);
  event->set_seq(1);
  event->set_job_id(job->job.id());
  job->job.set_last_seq(1);
  {
    Stmt s(db_,
           "INSERT INTO jobs(id, state, dataset_id, validation_dataset_id, "
           "info, request, checkpoint_blob) VALUES(?, ?, ?, ?, ?, ?, ?)");
    s.Text(1, job->job.id())
        .Int(2, job->job.state())
        .Text(3, job->job.dataset_id())
        .Text(4, job->job.validation_dataset_id())
        .Proto(5, job->job)
        .Blob(6, job->request)
        .Text(7, job->checkpoint_blob);
    absl::Status status = s.Run();
    if (absl::IsAlreadyExists(status)) {
      return absl::AlreadyExistsError(
          absl::StrCat("job_id: job ", job->job.id(), " already exists"));
    }
    PROFUNDO_RETURN_IF_ERROR(status);
    job->seq = sqlite3_last_insert_rowid(db_);
  }
  {
    Stmt s(db_, "INSERT INTO job_events(job_id, seq, event) VALUES(?, ?, ?)");
    s.Text(1, job->job.id()).Int(2, 1).Proto(3, *event);
    PROFUNDO_RETURN_IF_ERROR(s.Run());
  }
  PROFUNDO_RETURN_IF_ERROR(txn.Commit());
  model_versions_generation_.fetch_add(1);
  return absl::OkStatus();
}

absl::StatusOr<JobRecord> SqliteCatalog::GetJob(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kJobColumns, " FROM jobs WHERE id = ?"));
  s.Text(1, id);
  PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("job ", id, " not found"));
  return ReadJob(s);
}

absl::StatusOr<std::vector<JobRecord>> SqliteCatalog::QueryJobs(
    const std::string& where, const JobFilter& filter, int64_t after_seq,
    int limit) {
  Stmt s(db_, absl::StrCat("SELECT ", kJobColumns, " FROM jobs WHERE ", where,
                           " ORDER BY seq LIMIT ?"));
  s.Int(1, after_seq)
      .Int(2, filter.state)
      .Int(3, filter.state)
      .Text(4, filter.dataset_id)
      .Text(5, filter.dataset_id)
      .Int(6, limit);
  std::vector<JobRecord> out;
  while (true) {
    PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    PROFUNDO_ASSIGN_OR_RETURN(JobRecord r, ReadJob(s));
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<JobRecord>> SqliteCatalog::ListJobs(
    const JobFilter& filter, int64_t after_seq, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  return QueryJobs(
      "seq > ? AND (? = 0 OR state = ?) AND (? = '' OR dataset_id = ?)",
      filter, after_seq, limit);
}

absl::StatusOr<std::vector<JobRecord>> SqliteCatalog::ListActiveJobs() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<JobRecord> out;
  for (v1::JobState state : {v1::JOB_STATE_QUEUED, v1::JOB_STATE_RUNNING}) {
    JobFilter filter;
    filter.state = state;
    PROFUNDO_ASSIGN_OR_RETURN(
        std::vector<JobRecord> jobs,
        QueryJobs("seq > ? AND (? = 0 OR state = ?) AND (? = '' OR "
                  "dataset_id = ?)",
                  filter, 0, 1 << 30));
    for (JobRecord& j : jobs) out.push_back(std::move(j));
  }
  std::sort(out.begin(), out.end(),
            [](const JobRecord& a, const JobRecord& b) { return a.seq < b.seq; });
  return out;
}

absl::Status SqliteCatalog::UpdateJobLocked(JobRecord* job,
                                            v1::JobEvent* event) {
  int64_t last_seq = 0;
  {
    Stmt s(db_, "SELECT info FROM jobs WHERE id = ?");
    s.Text(1, job->job.id());
    PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) {
      return absl::NotFoundError(absl::StrCat("job ", job->job.id(), " not found"));
    }
    v1::Job stored;
    PROFUNDO_RETURN_IF_ERROR(s.ColProto(0, &stored));
    last_seq = stored.last_seq();
  }
  if (event != nullptr) {
    event->set_seq(last_seq + 1);
    event->set_job_id(job->job.id());
    Stmt s(db_, "INSERT INTO job_events(job_id, seq, event) VALUES(?, ?, ?)");
    s.Text(1, job->job.id()).Int(2, event->seq()).Proto(3, *event);
    PROFUNDO_RETURN_IF_ERROR(s.Run());
    last_seq = event->seq();
  }
  job->job.set_last_seq(last_seq);
  Stmt s(db_,
         "UPDATE jobs SET state = ?, info = ?, checkpoint_blob = ? "
         "WHERE id = ?");
  s.Int(1, job->job.state())
      .Proto(2, job->job)
      .Text(3, job->checkpoint_blob)
      .Text(4, job->job.id());
  return s.Run();
}

absl::Status SqliteCatalog::UpdateJob(JobRecord* job, v1::JobEvent* event) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_);
  PROFUNDO_RETURN_IF_ERROR(txn.status());
  PROFUNDO_RETURN_IF_ERROR(UpdateJobLocked(job, event));
  return txn.Commit();
}

absl::Status SqliteCatalog::FinishJob(JobRecord* job,
                                      const ModelVersionRecord& version,
                                      v1::JobEvent* event) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_);
  PROFUNDO_RETURN_IF_ERROR(txn.status());
  PROFUNDO_RETURN_IF_ERROR(UpdateJobLocked(job, event));
  Stmt s(db_,
         "UPDATE model_versions SET info = ?, weights_blob = ? "
         "WHERE model_id = ? AND version = ?");
  s.Proto(1, version.version)
      .Text(2, version.weights_blob)
      .Text(3, version.model_id)
      .Int(4, version.version.version());
  PROFUNDO_RETURN_IF_ERROR(s.Run());
  if (sqlite3_changes(db_) != 1) {
    return absl::NotFoundError(absl::StrCat("model ", version.model_id,
                                            " has no version ",
                                            version.version.version()));
  }
  PROFUNDO_RETURN_IF_ERROR(txn.Commit());
  model_versions_generation_.fetch_add(1);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::JobEvent>> SqliteCatalog::ListJobEvents(
    const std::string& job_id, int64_t after_seq, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_,
         "SELECT event FROM job_events WHERE job_id = ? AND seq > ? "
         "ORDER BY seq LIMIT ?");
  s.Text(1, job_id).Int(2, after_seq).Int(3, limit);
  std::vector<v1::JobEvent> out;
  while (true) {
    PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    PROFUNDO_RETURN_IF_ERROR(s.ColProto(0, &out.emplace_back()));
  }
  return out;
}

absl::StatusOr<absl::flat_hash_set<std::string>> SqliteCatalog::LiveBlobs() {
  std::lock_guard<std::mutex> lock(mu_);
  absl::flat_hash_set<std::string> live;
  for (const char* sql :
       {"SELECT features_blob FROM datasets", "SELECT labels_blob FROM datasets",
        "SELECT weights_blob FROM model_versions",
        "SELECT checkpoint_blob FROM jobs"}) {
    Stmt s(db_, sql);
    while (true) {
      PROFUNDO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      std::string key = s.ColText(0);
      if (!key.empty()) live.insert(std::move(key));
    }
  }
  return live;
}

}  // namespace profundo::server
