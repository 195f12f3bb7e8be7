// Training health and the LR range test through the service (in-process
// server, small synthetic data): the seed's deep-network cases arrive as
// WatchJob health reports and warnings, said once and replayed from the
// store with after_seq; a NaN loss fails the job and keeps its last good
// checkpoint (also across a restart); an LR range test job records its curve
// and suggestion, makes no model, and a OneCycle job at the suggested rate
// trains well.
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/service/service_test_util.h"

namespace profundo::server {
namespace {

using ::profundo::server::testing::Config;
using ::profundo::server::testing::Header;
using ::profundo::server::testing::MakeTempDir;
using ::profundo::server::testing::ParseSpec;
using ::profundo::server::testing::Synthetic;
using ::profundo::server::testing::TinySpec;
using ::profundo::server::testing::Upload;
using ::profundo::server::testing::UploadIdx;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// `depth` Dense(width, activation, kernel_initializer) layers on
// Flatten([h, w]), then Dense(10, softmax); SGD(1e-3). `dense_extra` is
// added to every hidden Dense (text proto).
v1::ModelSpec Stack(int depth, int h, int w, const std::string& activation,
                    const std::string& init, const std::string& dense_extra,
                    bool standardize) {
  std::string text =
      absl::StrCat("layers { flatten { input_shape: [", h, ", ", w, "] } }\n");
  for (int i = 0; i < depth; ++i) {
    absl::StrAppend(&text, "layers { dense { units: ", h * w,
                    " activation: \"", activation, "\" kernel_initializer: \"",
                    init, "\" ", dense_extra, " } }\n");
  }
  absl::StrAppend(&text,
                  "layers { dense { units: 10 activation: \"softmax\" } }\n"
                  "loss: \"sparse_categorical_crossentropy\"\n"
                  "optimizer { sgd {} learning_rate: 0.001 }\n"
                  "metrics: \"accuracy\"\n");
  if (standardize) text += "preprocessing { standardize: true }\n";
  return ParseSpec(text);
}

Synthetic Data(int rows, int h, int w, int classes) {
  Synthetic data;
  data.rows = rows;
  data.h = h;
  data.w = w;
  data.classes = classes;
  return data;
}

struct Watched {
  std::vector<v1::JobEvent> events;
  std::vector<v1::HealthReport> reports;
  std::vector<v1::HealthWarning> warnings;  // as sent, in order
};

class HealthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("health");
    Start();
  }

  void Start() {
    client_.reset();
    server_.reset();
    ServerOptions options;
    options.data_dir = dir_;
    options.listen = "127.0.0.1:0";
    options.progress_interval = absl::Milliseconds(20);
    auto server = ProfundoServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    channel_ = server_->InProcessChannel();
    client_ = std::make_unique<Client>(channel_);
  }

  std::string MustUpload(const Synthetic& data) {
    auto stub = v1::Profundo::NewStub(channel_);
    absl::StatusOr<v1::Dataset> ds = UploadIdx(stub.get(), data);
    EXPECT_TRUE(ds.ok()) << ds.status();
    return ds.ok() ? ds->id() : "";
  }

  absl::StatusOr<v1::Job> Submit(const v1::ModelSpec& spec,
                                 const std::string& dataset_id,
                                 const v1::TrainConfig& config) {
    v1::SubmitJobRequest request;
    *request.mutable_spec() = spec;
    request.set_dataset_id(dataset_id);
    *request.mutable_config() = config;
    return client_->SubmitJob(request);
  }

  // Every event after `after_seq` until the job ends.
  Watched Watch(const std::string& job_id, int64_t after_seq = 0) {
    Watched w;
    absl::Status s = client_->WatchJob(job_id, after_seq,
                                       [&](const v1::JobEvent& e) {
                                         w.events.push_back(e);
                                         if (e.has_health()) {
                                           w.reports.push_back(e.health());
                                         }
                                         if (e.has_warning()) {
                                           w.warnings.push_back(e.warning());
                                         }
                                         return true;
                                       });
    EXPECT_TRUE(s.ok()) << s;
    return w;
  }

  // Trains `spec` on `data` for one epoch with a health report every
  // `every` steps; returns the watched events.
  Watched Train(const v1::ModelSpec& spec, const Synthetic& data,
                int batch_size, int every, v1::Job* done = nullptr) {
    v1::TrainConfig config = Config(1, batch_size);
    config.set_health_every_steps(every);
    absl::StatusOr<v1::Job> job = Submit(spec, MustUpload(data), config);
    EXPECT_TRUE(job.ok()) << job.status();
    if (!job.ok()) return {};
    Watched w = Watch(job->id());
    absl::StatusOr<v1::Job> end = client_->GetJob(job->id());
    EXPECT_TRUE(end.ok()) << end.status();
    EXPECT_EQ(end->state(), v1::JOB_STATE_SUCCEEDED) << end->error_message();
    if (done != nullptr) *done = *end;
    return w;
  }

  static int Count(const std::vector<v1::HealthWarning>& ws,
                   v1::HealthIssue issue, bool resolved = false) {
    int n = 0;
    for (const v1::HealthWarning& w : ws) {
      n += w.issue() == issue && w.resolved() == resolved;
    }
    return n;
  }

  std::string dir_;
  std::unique_ptr<ProfundoServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Client> client_;
};

TEST_F(HealthServiceTest, DeepSigmoidWithUnitNormalInitWarnsOnceAndReplays) {
  const Synthetic data = Data(256, 4, 4, 10);
  v1::Job done;
  // 8 steps of 32, a report every 2 steps: steps 0, 2, 4, 6.
  Watched w = Train(Stack(20, 4, 4, "sigmoid", "random_normal",
                          "kernel_initializer_args { mean: 0 stddev: 1 }",
                          /*standardize=*/true),
                    data, 32, 2, &done);
  ASSERT_THAT(w.reports, SizeIs(4));
  for (size_t i = 0; i < w.reports.size(); ++i) {
    const v1::HealthReport& r = w.reports[i];
    EXPECT_EQ(r.step(), 2 * static_cast<int64_t>(i));
    EXPECT_EQ(r.epoch(), 0);
    EXPECT_DOUBLE_EQ(r.learning_rate(), 1e-3);
    ASSERT_THAT(r.layers(), SizeIs(22));  // Flatten, 20 hidden, head
    EXPECT_EQ(r.layers(0).type(), "Flatten");
    EXPECT_FALSE(r.layers(0).has_kernel());
    EXPECT_EQ(r.layers(1).name(), "dense");
    EXPECT_EQ(r.layers(1).activation(), "sigmoid");
    EXPECT_TRUE(r.layers(1).has_saturated_fraction());
    EXPECT_FALSE(r.layers(1).has_dead_fraction());
    // The first layer's gradient is orders of magnitude below the last's.
    EXPECT_LT(r.layers(1).grad_norm(), 1e-2 * r.layers(20).grad_norm());
  }
  // Said once, at the first report, on the first Dense layer.
  ASSERT_EQ(Count(w.warnings, v1::HEALTH_ISSUE_VANISHING_GRADIENTS), 1);
  const v1::HealthWarning* vanishing = nullptr;
  for (const auto& x : w.warnings) {
    if (x.issue() == v1::HEALTH_ISSUE_VANISHING_GRADIENTS) vanishing = &x;
  }
  EXPECT_EQ(vanishing->layer(), "dense");
  EXPECT_EQ(vanishing->step(), 0);
  EXPECT_THAT(vanishing->message(), HasSubstr("vanishing gradients"));
  EXPECT_THAT(vanishing->message(), HasSubstr("he_normal"));
  EXPECT_THAT(vanishing->message(), HasSubstr("BatchNormalization"));
  // Every report is followed by its warnings, never another report first.
  for (size_t i = 0; i + 1 < w.events.size(); ++i) {
    if (w.events[i + 1].has_warning()) {
      EXPECT_TRUE(w.events[i].has_health() || w.events[i].has_warning());
    }
  }
  // The job keeps the latest report and the issues seen at it.
  EXPECT_EQ(done.health().latest().step(), 6);
  EXPECT_EQ(done.health().latest().SerializeAsString(),
            w.reports.back().SerializeAsString());
  EXPECT_EQ(Count({done.health().warnings().begin(),
                   done.health().warnings().end()},
                  v1::HEALTH_ISSUE_VANISHING_GRADIENTS),
            1);

  // Stored with the job: a replay is the same stream, from any seq.
  Watched again = Watch(done.id());
  ASSERT_EQ(again.events.size(), w.events.size());
  for (size_t i = 0; i < w.events.size(); ++i) {
    EXPECT_EQ(again.events[i].SerializeAsString(),
              w.events[i].SerializeAsString());
  }
  int64_t warning_seq = 0;
  for (const auto& e : w.events) {
    if (e.has_warning() && warning_seq == 0) warning_seq = e.seq();
  }
  ASSERT_GT(warning_seq, 1);
  Watched tail = Watch(done.id(), warning_seq - 1);
  ASSERT_FALSE(tail.events.empty());
  EXPECT_EQ(tail.events[0].seq(), warning_seq);
  EXPECT_EQ(tail.events[0].SerializeAsString(),
            w.events[warning_seq - 1].SerializeAsString());
  EXPECT_EQ(tail.warnings.size(), w.warnings.size());
  EXPECT_EQ(Watch(done.id(), warning_seq).warnings.size() + 1,
            w.warnings.size());

  // ListJobs leaves the per-layer rows out; GetJob has them.
  v1::ListJobsRequest list;
  absl::StatusOr<v1::ListJobsResponse> jobs = client_->ListJobs(list);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_THAT(jobs->jobs(), SizeIs(1));
  EXPECT_EQ(jobs->jobs(0).health().latest().step(), 6);
  EXPECT_THAT(jobs->jobs(0).health().latest().layers(), SizeIs(0));
  EXPECT_THAT(jobs->jobs(0).health().warnings(),
              SizeIs(done.health().warnings_size()));
}

TEST_F(HealthServiceTest, DeepEluWithHeNormalDoesNotWarn) {
  const Synthetic data = Data(256, 4, 4, 10);
  v1::Job done;
  Watched w = Train(Stack(20, 4, 4, "elu", "he_normal", "", true), data, 32,
                    2, &done);
  ASSERT_THAT(w.reports, SizeIs(4));
  EXPECT_EQ(Count(w.warnings, v1::HEALTH_ISSUE_VANISHING_GRADIENTS), 0);
  EXPECT_EQ(Count(w.warnings, v1::HEALTH_ISSUE_EXPLODING_GRADIENTS), 0);
  for (const v1::HealthReport& r : w.reports) {
    EXPECT_GT(r.layers(1).grad_norm(), 1e-2 * r.layers(20).grad_norm());
  }
  EXPECT_THAT(done.health().warnings(), SizeIs(0));
}

TEST_F(HealthServiceTest, ReluWithLargeNegativeBiasReportsDeadUnits) {
  const Synthetic data = Data(256, 4, 4, 10);
  Watched w = Train(
      Stack(3, 4, 4, "relu", "he_normal",
            "bias_initializer: \"constant\" "
            "bias_initializer_args { value: -10 }",
            true),
      data, 32, 2);
  ASSERT_THAT(w.reports, SizeIs(4));
  ASSERT_TRUE(w.reports[0].layers(1).has_dead_fraction());
  EXPECT_DOUBLE_EQ(w.reports[0].layers(1).dead_fraction(), 1.0);
  ASSERT_EQ(Count(w.warnings, v1::HEALTH_ISSUE_DEAD_RELU), 1);
  for (const auto& x : w.warnings) {
    if (x.issue() != v1::HEALTH_ISSUE_DEAD_RELU) continue;
    EXPECT_EQ(x.layer(), "dense");
    EXPECT_THAT(x.message(), HasSubstr("100% of the units of dense"));
    EXPECT_THAT(x.message(), HasSubstr("LeakyReLU"));
  }
}

TEST_F(HealthServiceTest, SeluSelfNormalizesOnlyOnStandardizedInputs) {
  // 32 features; 2 steps of 256 with a report at each.
  const Synthetic data = Data(512, 4, 8, 10);
  Watched good = Train(Stack(10, 4, 8, "selu", "lecun_normal", "", true),
                       data, 256, 1);
  ASSERT_THAT(good.reports, SizeIs(2));
  for (const v1::LayerHealth& l : good.reports[0].layers()) {
    if (l.activation() != "selu") continue;
    EXPECT_LT(std::fabs(l.activation_mean()), 0.5) << l.name();
    EXPECT_GT(l.activation_std(), 0.5) << l.name();
    EXPECT_LT(l.activation_std(), 2.0) << l.name();
  }
  EXPECT_EQ(Count(good.warnings, v1::HEALTH_ISSUE_BROKEN_SELF_NORMALIZATION),
            0);

  Watched raw = Train(Stack(10, 4, 8, "selu", "lecun_normal", "", false),
                      data, 256, 1);
  ASSERT_THAT(raw.reports, SizeIs(2));
  ASSERT_EQ(Count(raw.warnings, v1::HEALTH_ISSUE_BROKEN_SELF_NORMALIZATION),
            1);
  for (const auto& x : raw.warnings) {
    if (x.issue() != v1::HEALTH_ISSUE_BROKEN_SELF_NORMALIZATION) continue;
    EXPECT_THAT(x.message(), HasSubstr("standardize"));
  }
}

TEST_F(HealthServiceTest, HealthIntervalIsValidatedAndZeroTurnsItOff) {
  Synthetic data;
  const std::string ds = MustUpload(data);
  v1::TrainConfig bad = Config(1);
  bad.set_health_every_steps(-1);
  absl::Status s = Submit(TinySpec(), ds, bad).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("config.health_every_steps"));

  v1::TrainConfig off = Config(1);
  off.set_health_every_steps(0);
  absl::StatusOr<v1::Job> job = Submit(TinySpec(), ds, off);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_THAT(Watch(job->id()).reports, SizeIs(0));
  // Unset: every 100 steps from step 0 (19 steps here: one report).
  job = Submit(TinySpec(), ds, Config(1));
  ASSERT_TRUE(job.ok()) << job.status();
  Watched w = Watch(job->id());
  ASSERT_THAT(w.reports, SizeIs(1));
  EXPECT_EQ(w.reports[0].step(), 0);
}

std::vector<std::string> Checkpoints(const std::string& data_dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data_dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("checkpoint-", 0) == 0) out.push_back(name);
  }
  return out;
}

TEST_F(HealthServiceTest, NanLossFailsTheJobAndKeepsTheLastGoodCheckpoint) {
  // 19 steps of 16 per epoch; from step 20 on the rate is 1e30, so the
  // weights blow up early in epoch 2.
  v1::ModelSpec spec = ParseSpec(R"pb(
    layers { flatten { input_shape: [ 4, 4 ] } }
    layers { dense { units: 8 activation: "relu" } }
    layers { dense { units: 8 activation: "relu" } }
    layers { dense { units: 3 activation: "softmax" } }
    loss: "sparse_categorical_crossentropy"
    optimizer {
      sgd {}
      learning_rate_schedule {
        piecewise_constant_decay { boundaries: 19 values: 0.01 values: 1e30 }
      }
    }
    preprocessing { standardize: true }
  )pb");
  absl::StatusOr<v1::Job> job =
      Submit(spec, MustUpload(Synthetic()), Config(3, 16));
  ASSERT_TRUE(job.ok()) << job.status();
  Watched w = Watch(job->id());
  ASSERT_FALSE(w.events.empty());
  ASSERT_TRUE(w.events.back().has_state_change());
  EXPECT_EQ(w.events.back().state_change().state(), v1::JOB_STATE_FAILED);

  v1::Job failed = *client_->GetJob(job->id());
  EXPECT_EQ(failed.state(), v1::JOB_STATE_FAILED);
  EXPECT_THAT(failed.error_message(), HasSubstr("the loss became"));
  EXPECT_THAT(failed.error_message(), HasSubstr("at epoch 2, step "));
  EXPECT_THAT(failed.error_message(),
              HasSubstr("keeps its last checkpoint, after epoch 1"));
  EXPECT_EQ(failed.epochs_completed(), 1);
  EXPECT_THAT(failed.history(), SizeIs(1));
  EXPECT_TRUE(std::isfinite(failed.history(0).loss()));
  EXPECT_EQ(failed.checkpoint_epochs(), 1);
  EXPECT_THAT(Checkpoints(dir_), SizeIs(1));
  // The model version is FAILED: nothing to predict with.
  absl::StatusOr<v1::Model> model = client_->GetModel(failed.model_id());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->versions(0).state(), v1::MODEL_VERSION_STATE_FAILED);

  // A restart's blob collection keeps it: the catalog still references it.
  Start();
  EXPECT_THAT(Checkpoints(dir_), SizeIs(1));
  EXPECT_EQ(client_->GetJob(job->id())->checkpoint_epochs(), 1);
}

TEST_F(HealthServiceTest, SucceededJobDropsItsCheckpoint) {
  absl::StatusOr<v1::Job> job =
      Submit(TinySpec(), MustUpload(Synthetic()), Config(2));
  ASSERT_TRUE(job.ok()) << job.status();
  Watch(job->id());
  EXPECT_EQ(client_->GetJob(job->id())->checkpoint_epochs(), 0);
  // The worker commits the end of the job first (a failed commit keeps the
  // checkpoint) and deletes the blob right after, so a watcher can see the
  // end before the file goes. Shutting down waits for the worker; only a
  // restart collects unreferenced blobs, so this is the job's own drop.
  client_.reset();
  server_.reset();
  EXPECT_THAT(Checkpoints(dir_), SizeIs(0));
}

v1::TrainConfig RangeTestConfig(double min_lr, double max_lr, int64_t steps) {
  v1::TrainConfig config;
  config.set_batch_size(16);
  config.set_seed(1);
  config.mutable_lr_range_test()->set_min_lr(min_lr);
  config.mutable_lr_range_test()->set_max_lr(max_lr);
  config.mutable_lr_range_test()->set_steps(steps);
  return config;
}

// TinySpec with plain SGD (Adam's normalized steps survive any rate on this
// easy problem; SGD's blow up).
v1::ModelSpec TinySgdSpec() {
  v1::ModelSpec spec = TinySpec();
  spec.mutable_optimizer()->mutable_sgd();
  return spec;
}

TEST_F(HealthServiceTest, LrRangeTestJobRecordsTheCurveAndMakesNoModel) {
  // Every 5th label is wrong, so the loss cannot go to 0: at high rates the
  // model fits the wrong labels with huge logits and the loss explodes.
  const Synthetic data;
  std::string labels = data.IdxLabels();
  for (int r = 0; r < data.rows; r += 5) {
    labels[8 + r] = static_cast<char>((data.Label(r) + 1) % data.classes);
  }
  const std::string images = data.IdxImages();
  auto stub = v1::Profundo::NewStub(channel_);
  absl::StatusOr<v1::Dataset> noisy = Upload(
      stub.get(), Header("noisy", v1::DATA_FORMAT_IDX, images, labels),
      images, labels);
  ASSERT_TRUE(noisy.ok()) << noisy.status();
  const std::string ds = noisy->id();
  absl::StatusOr<v1::Job> job =
      Submit(TinySgdSpec(), ds, RangeTestConfig(1e-4, 1e3, 60));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->model_id(), "");
  EXPECT_EQ(job->model_version(), 0);
  Watched w = Watch(job->id());
  v1::Job done = *client_->GetJob(job->id());
  ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.error_message();
  EXPECT_EQ(done.model_id(), "");

  const v1::LrRangeTestResult& r = done.lr_range_test();
  const int n = r.learning_rate_size();
  ASSERT_GT(n, 10);
  ASSERT_LE(n, 60);
  ASSERT_EQ(r.loss_size(), n);
  ASSERT_EQ(r.smoothed_loss_size(), n);
  // Step i's rate is 1e-4 * (1e3 / 1e-4)^(i / 59).
  for (int i = 0; i < n; ++i) {
    EXPECT_NEAR(r.learning_rate(i), 1e-4 * std::pow(1e7, i / 59.0),
                1e-9 * r.learning_rate(i))
        << i;
  }
  // The first smoothed loss is the first loss (bias-corrected average).
  EXPECT_NEAR(r.smoothed_loss(0), r.loss(0), 1e-9 * r.loss(0));
  // SGD at rates up to 1000 blows up before the end.
  EXPECT_TRUE(r.exploded());
  EXPECT_LT(n, 60);
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (r.smoothed_loss(i) < r.smoothed_loss(best)) best = i;
  }
  EXPECT_DOUBLE_EQ(r.min_loss_lr(), r.learning_rate(best));
  EXPECT_DOUBLE_EQ(r.suggested_max_rate(), r.learning_rate(best) / 10);
  EXPECT_GT(r.suggested_max_rate(), 1e-5);
  EXPECT_LT(r.suggested_max_rate(), 1.0);

  // Progress streamed as points of the planned 60 steps, in order.
  int64_t last_step = 0;
  int points = 0;
  for (const v1::JobEvent& e : w.events) {
    EXPECT_FALSE(e.has_epoch_end());
    if (!e.has_lr_range_point()) continue;
    ++points;
    EXPECT_EQ(e.lr_range_point().steps(), 60);
    EXPECT_GT(e.lr_range_point().step(), last_step);
    last_step = e.lr_range_point().step();
    EXPECT_DOUBLE_EQ(e.lr_range_point().learning_rate(),
                     r.learning_rate(static_cast<int>(last_step) - 1));
  }
  EXPECT_GE(points, 1);
  // No model came of it.
  absl::StatusOr<v1::ListModelsResponse> models =
      client_->ListModels(v1::ListModelsRequest());
  ASSERT_TRUE(models.ok()) << models.status();
  EXPECT_THAT(models->models(), SizeIs(0));

  // OneCycle at the suggested rate then trains well.
  v1::TrainConfig config = Config(3);
  config.add_callbacks()->mutable_one_cycle()->set_max_rate(
      r.suggested_max_rate());
  absl::StatusOr<v1::Job> train = Submit(TinySgdSpec(), ds, config);
  ASSERT_TRUE(train.ok()) << train.status();
  Watch(train->id());
  v1::Job trained = *client_->GetJob(train->id());
  ASSERT_EQ(trained.state(), v1::JOB_STATE_SUCCEEDED);
  // 80% of the labels are right.
  EXPECT_GT(trained.history(2).accuracy(), 0.75);
}

TEST_F(HealthServiceTest, LrRangeTestRequestsAreValidated) {
  const std::string ds = MustUpload(Synthetic());
  struct Case {
    v1::TrainConfig config;
    std::string model_name;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({RangeTestConfig(1, 0.5, 10), "",
                   "config.lr_range_test.max_lr"});
  cases.push_back({RangeTestConfig(-1, 1, 10), "",
                   "config.lr_range_test.min_lr"});
  cases.push_back({RangeTestConfig(1e-4, 1, 1000000), "",
                   "config.lr_range_test.steps"});
  cases.push_back({RangeTestConfig(1e-4, 1, 10), "named", "model_name"});
  Case epochs{RangeTestConfig(1e-4, 1, 10), "", "config.epochs"};
  epochs.config.set_epochs(2);
  cases.push_back(epochs);
  Case callbacks{RangeTestConfig(1e-4, 1, 10), "", "config.callbacks"};
  callbacks.config.add_callbacks()->mutable_one_cycle()->set_max_rate(0.1);
  cases.push_back(callbacks);
  for (const Case& c : cases) {
    v1::SubmitJobRequest request;
    *request.mutable_spec() = TinySpec();
    request.set_dataset_id(ds);
    *request.mutable_config() = c.config;
    request.set_model_name(c.model_name);
    absl::Status s = client_->SubmitJob(request).status();
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.field << ": " << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.field));
  }
}

}  // namespace
}  // namespace profundo::server
