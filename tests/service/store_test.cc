// The store: blob files written atomically through an Env (with injected
// failures), and the SQLite catalog (CRUD, events, paging, durability).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/blob_store.h"
#include "server/dataset_manager.h"
#include "server/sqlite_catalog.h"
#include "tests/service/fault_injection_env.h"
#include "tests/service/service_test_util.h"

namespace profundo::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::string MakeTempDir() {
  std::string pattern = ::testing::TempDir() + "/store_test_XXXXXX";
  char* dir = mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr);
  return pattern;
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  return names;
}

// ------------------------------------------------------------------- blobs

TEST(BlobStoreTest, PutGetDelete) {
  std::string dir = MakeTempDir() + "/blobs";
  BlobStore blobs(Env::Default(), dir);
  ASSERT_TRUE(blobs.Init().ok());
  auto key = blobs.Put("weights", "hello weights");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_THAT(*key, ::testing::StartsWith("weights-"));
  EXPECT_EQ(key->size(), std::string("weights-").size() + 32);
  EXPECT_EQ(*blobs.Get(*key), "hello weights");
  EXPECT_THAT(Files(dir), ElementsAre(*key));
  ASSERT_TRUE(blobs.Delete(*key).ok());
  EXPECT_TRUE(absl::IsNotFound(blobs.Get(*key).status()));
  EXPECT_THAT(Files(dir), IsEmpty());
  EXPECT_TRUE(blobs.Delete(*key).ok());  // idempotent
}

TEST(BlobStoreTest, KeysNeverEscapeTheDirectory) {
  BlobStore blobs(Env::Default(), MakeTempDir());
  ASSERT_TRUE(blobs.Init().ok());
  for (const char* key : {"../catalog.db", "/etc/passwd", "a/b", "", ".",
                          "-x", "A-UPPER"}) {
    EXPECT_FALSE(blobs.Get(key).ok()) << key;
    EXPECT_FALSE(blobs.Delete(key).ok()) << key;
  }
}

TEST(BlobStoreTest, FailedAppendLeavesNoPartialBlob) {
  std::string dir = MakeTempDir();
  FaultInjectionEnv env;
  BlobStore blobs(&env, dir);
  ASSERT_TRUE(blobs.Init().ok());
  env.fail_append_after = 10;
  auto key = blobs.Put("dataset", std::string(1000, 'x'));
  EXPECT_TRUE(absl::IsResourceExhausted(key.status())) << key.status();
  EXPECT_THAT(Files(dir), IsEmpty());
}

TEST(BlobStoreTest, FailedSyncOrRenameLeavesNoBlob) {
  std::string dir = MakeTempDir();
  FaultInjectionEnv env;
  BlobStore blobs(&env, dir);
  ASSERT_TRUE(blobs.Init().ok());
  env.fail_sync = true;
  EXPECT_FALSE(blobs.Put("dataset", "abc").ok());
  EXPECT_THAT(Files(dir), IsEmpty());
  env.fail_sync = false;
  env.fail_rename = true;
  EXPECT_FALSE(blobs.Put("dataset", "abc").ok());
  EXPECT_THAT(Files(dir), IsEmpty());
  env.fail_rename = false;
  EXPECT_TRUE(blobs.Put("dataset", "abc").ok());
  EXPECT_EQ(Files(dir).size(), 1u);
}

TEST(BlobStoreTest, InitRemovesTempFilesAndGcRemovesUnreferenced) {
  std::string dir = MakeTempDir();
  BlobStore blobs(Env::Default(), dir);
  ASSERT_TRUE(blobs.Init().ok());
  auto live = blobs.Put("weights", "live");
  auto dead = blobs.Put("weights", "dead");
  ASSERT_TRUE(live.ok() && dead.ok());
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), dir + "/x.tmp.tmp", "").ok());
  ASSERT_TRUE(Env::Default()->RenameFile(dir + "/x.tmp.tmp", dir + "/x.tmp").ok());
  ASSERT_TRUE(blobs.Init().ok());
  EXPECT_THAT(Files(dir), UnorderedElementsAre(*live, *dead));
  auto removed = blobs.RemoveUnreferenced({*live});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1);
  EXPECT_THAT(Files(dir), ElementsAre(*live));
}

// ----------------------------------------------------------------- catalog

DatasetRecord MakeDataset(const std::string& id, const std::string& name) {
  DatasetRecord r;
  r.info.set_id(id);
  r.info.set_name(name);
  r.info.set_format(v1::DATA_FORMAT_IDX);
  r.info.set_rows(100);
  r.info.add_feature_shape(28);
  r.info.add_feature_shape(28);
  r.info.set_num_classes(10);
  r.format = v1::DATA_FORMAT_IDX;
  r.features_blob = "dataset-" + id + "f";
  r.labels_blob = "dataset-" + id + "l";
  return r;
}

JobRecord MakeJob(const std::string& id, const std::string& dataset_id) {
  JobRecord r;
  r.job.set_id(id);
  r.job.set_state(v1::JOB_STATE_QUEUED);
  r.job.set_dataset_id(dataset_id);
  r.job.set_model_id("m-" + id);
  r.job.set_epochs(3);
  r.request = "request of " + id;
  return r;
}

v1::JobEvent StateEvent(v1::JobState state) {
  v1::JobEvent e;
  e.mutable_state_change()->set_state(state);
  return e;
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = MakeTempDir() + "/catalog.db";
    Reopen();
  }
  void Reopen() {
    catalog_.reset();
    auto c = SqliteCatalog::Open(path_);
    ASSERT_TRUE(c.ok()) << c.status();
    catalog_ = std::move(c).value();
  }
  std::string path_;
  std::unique_ptr<SqliteCatalog> catalog_;
};

TEST_F(CatalogTest, DatasetCrudAndPaging) {
  for (int i = 0; i < 5; ++i) {
    DatasetRecord r = MakeDataset("ds-" + std::to_string(i), "set " + std::to_string(i));
    ASSERT_TRUE(catalog_->InsertDataset(&r).ok());
    EXPECT_EQ(r.seq, i + 1);
  }
  DatasetRecord dup = MakeDataset("ds-1", "again");
  EXPECT_TRUE(absl::IsAlreadyExists(catalog_->InsertDataset(&dup)));

  auto got = catalog_->GetDataset("ds-3");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->info.name(), "set 3");
  EXPECT_THAT(got->info.feature_shape(), ElementsAre(28, 28));
  EXPECT_EQ(got->features_blob, "dataset-ds-3f");
  EXPECT_EQ(got->format, v1::DATA_FORMAT_IDX);
  EXPECT_TRUE(absl::IsNotFound(catalog_->GetDataset("ds-9").status()));

  auto page1 = catalog_->ListDatasets(0, 2);
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->size(), 2u);
  EXPECT_EQ((*page1)[1].info.id(), "ds-1");
  auto page2 = catalog_->ListDatasets((*page1)[1].seq, 10);
  ASSERT_EQ(page2->size(), 3u);
  EXPECT_EQ((*page2)[0].info.id(), "ds-2");

  auto deleted = catalog_->DeleteDataset("ds-2");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->labels_blob, "dataset-ds-2l");
  EXPECT_TRUE(absl::IsNotFound(catalog_->GetDataset("ds-2").status()));
  EXPECT_TRUE(absl::IsNotFound(catalog_->DeleteDataset("ds-2").status()));
}

TEST_F(CatalogTest, JobsCreateModelVersionsAndEvents) {
  DatasetRecord ds = MakeDataset("ds-a", "a");
  ASSERT_TRUE(catalog_->InsertDataset(&ds).ok());

  JobRecord j1 = MakeJob("job-1", "ds-a");
  v1::JobEvent e1 = StateEvent(v1::JOB_STATE_QUEUED);
  ASSERT_TRUE(catalog_->InsertJob(&j1, "mlp", v1::ModelVersion(), &e1).ok());
  EXPECT_EQ(j1.job.model_id(), "m-job-1");
  EXPECT_EQ(j1.job.model_version(), 1);
  EXPECT_EQ(e1.seq(), 1);
  EXPECT_EQ(j1.job.last_seq(), 1);

  // Same model name: the next version of the same model.
  JobRecord j2 = MakeJob("job-2", "ds-a");
  v1::JobEvent e2 = StateEvent(v1::JOB_STATE_QUEUED);
  ASSERT_TRUE(catalog_->InsertJob(&j2, "mlp", v1::ModelVersion(), &e2).ok());
  EXPECT_EQ(j2.job.model_id(), "m-job-1");
  EXPECT_EQ(j2.job.model_version(), 2);

  JobRecord dup = MakeJob("job-1", "ds-a");
  v1::JobEvent e3 = StateEvent(v1::JOB_STATE_QUEUED);
  absl::Status s = catalog_->InsertJob(&dup, "other", v1::ModelVersion(), &e3);
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  // The failed insert rolled back: no model "other".
  EXPECT_THAT(*catalog_->ListModels("other", 0, 10), IsEmpty());

  // Running, with an epoch event and a checkpoint.
  j1.job.set_state(v1::JOB_STATE_RUNNING);
  v1::JobEvent running = StateEvent(v1::JOB_STATE_RUNNING);
  ASSERT_TRUE(catalog_->UpdateJob(&j1, &running).ok());
  EXPECT_EQ(running.seq(), 2);
  v1::JobEvent epoch;
  epoch.mutable_epoch_end()->set_loss(0.5);
  j1.checkpoint_blob = "checkpoint-1";
  ASSERT_TRUE(catalog_->UpdateJob(&j1, &epoch).ok());
  EXPECT_EQ(epoch.seq(), 3);

  auto events = catalog_->ListJobEvents("job-1", 1, 100);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].seq(), 2);
  EXPECT_EQ((*events)[0].state_change().state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ((*events)[1].job_id(), "job-1");
  EXPECT_DOUBLE_EQ((*events)[1].epoch_end().loss(), 0.5);

  // A dataset in use by an unfinished job cannot be deleted.
  absl::Status del = catalog_->DeleteDataset("ds-a").status();
  EXPECT_TRUE(absl::IsFailedPrecondition(del)) << del;
  EXPECT_THAT(std::string(del.message()), HasSubstr("job-1"));

  // Filters.
  JobFilter running_only;
  running_only.state = v1::JOB_STATE_RUNNING;
  auto jobs = catalog_->ListJobs(running_only, 0, 10);
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].job.id(), "job-1");
  EXPECT_EQ((*jobs)[0].checkpoint_blob, "checkpoint-1");
  JobFilter other_dataset;
  other_dataset.dataset_id = "ds-b";
  EXPECT_THAT(*catalog_->ListJobs(other_dataset, 0, 10), IsEmpty());
  auto paged = catalog_->ListJobs(JobFilter(), j1.seq, 10);
  ASSERT_EQ(paged->size(), 1u);
  EXPECT_EQ((*paged)[0].job.id(), "job-2");

  // Finish: job SUCCEEDED and the version READY in one transaction.
  j1.job.set_state(v1::JOB_STATE_SUCCEEDED);
  ModelVersionRecord version;
  version.model_id = j1.job.model_id();
  version.version.set_version(1);
  version.version.set_state(v1::MODEL_VERSION_STATE_READY);
  version.version.set_job_id("job-1");
  version.weights_blob = "weights-1";
  v1::JobEvent done = StateEvent(v1::JOB_STATE_SUCCEEDED);
  ASSERT_TRUE(catalog_->FinishJob(&j1, version, &done).ok());
  EXPECT_EQ(done.seq(), 4);
  auto model = catalog_->GetModel("m-job-1");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->model.name(), "mlp");
  ASSERT_EQ(model->model.versions_size(), 2);
  EXPECT_EQ(model->model.versions(0).state(), v1::MODEL_VERSION_STATE_READY);
  EXPECT_EQ(model->model.versions(1).state(), v1::MODEL_VERSION_STATE_TRAINING);
  EXPECT_EQ(model->model.versions(1).job_id(), "job-2");
  EXPECT_EQ(catalog_->GetModelVersion("m-job-1", 1)->weights_blob, "weights-1");
  EXPECT_TRUE(absl::IsNotFound(catalog_->GetModelVersion("m-job-1", 3).status()));

  auto live = catalog_->LiveBlobs();
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->contains("weights-1"));
  EXPECT_TRUE(live->contains("checkpoint-1"));
  EXPECT_TRUE(live->contains("dataset-ds-af"));

  auto active = catalog_->ListActiveJobs();
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].job.id(), "job-2");
}

// A process that commits and dies without closing anything: everything it
// committed is there when the catalog is reopened.
TEST_F(CatalogTest, CommittedDataSurvivesACrash) {
  catalog_.reset();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto c = SqliteCatalog::Open(path_);
    if (!c.ok()) _exit(2);
    DatasetRecord r = MakeDataset("ds-crash", "survivor");
    if (!(*c)->InsertDataset(&r).ok()) _exit(3);
    JobRecord j = MakeJob("job-crash", "ds-crash");
    v1::JobEvent e = StateEvent(v1::JOB_STATE_QUEUED);
    if (!(*c)->InsertJob(&j, "m", v1::ModelVersion(), &e).ok()) _exit(4);
    j.job.set_state(v1::JOB_STATE_RUNNING);
    if (!(*c)->UpdateJob(&j, nullptr).ok()) _exit(5);
    _exit(0);  // no destructors, no sqlite3_close
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  Reopen();
  EXPECT_EQ(catalog_->GetDataset("ds-crash")->info.name(), "survivor");
  auto active = catalog_->ListActiveJobs();
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].job.state(), v1::JOB_STATE_RUNNING);
}

// A dataset is durable only as a whole: whichever write fails, no blob is
// left behind and the catalog does not change.
TEST(DatasetManagerTest, FailedBlobWriteLeavesNoBlobAndNoCatalogRow) {
  const std::string dir = MakeTempDir();
  auto catalog = SqliteCatalog::Open(dir + "/catalog.db");
  ASSERT_TRUE(catalog.ok());
  FaultInjectionEnv env;
  BlobStore blobs(&env, dir + "/blobs");
  ASSERT_TRUE(blobs.Init().ok());
  DatasetManager datasets(catalog->get(), &blobs);
  testing::Synthetic data;
  UploadedData upload;
  upload.header.set_name("fragile");
  upload.header.set_format(v1::DATA_FORMAT_IDX);
  upload.features = data.IdxImages();
  upload.labels = data.IdxLabels();

  env.fail_append_after = 100;  // the features blob fails mid-write
  EXPECT_TRUE(absl::IsResourceExhausted(datasets.Create(upload).status()));
  EXPECT_THAT(Files(dir + "/blobs"), IsEmpty());
  env.fail_append_after = -1;
  env.renames_before_failure = 1;  // the labels blob fails at its rename
  EXPECT_FALSE(datasets.Create(upload).ok());
  EXPECT_THAT(Files(dir + "/blobs"), IsEmpty());
  env.renames_before_failure = -1;
  env.fail_sync_dir = true;  // renamed but not durable: still a failure
  EXPECT_FALSE(datasets.Create(upload).ok());
  EXPECT_THAT(Files(dir + "/blobs"), IsEmpty());
  EXPECT_THAT(*(*catalog)->ListDatasets(0, 10), IsEmpty());

  env.fail_sync_dir = false;
  auto created = datasets.Create(upload);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->rows(), 300);
  EXPECT_EQ(Files(dir + "/blobs").size(), 2u);
  EXPECT_THAT(*(*catalog)->ListDatasets(0, 10), ::testing::SizeIs(1));
  auto loaded = datasets.Load(*(*catalog)->GetDataset(created->id()));
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->x.shape(), (Shape{300, 4, 4}));
}

}  // namespace
}  // namespace profundo::server
