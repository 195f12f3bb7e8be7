#include "engine/model.h"

#include <omp.h>

#include <cmath>
#include <functional>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/mixed_precision/policy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/model/test_models.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;

constexpr char kSmall[] = R"({
  "layers": [
    {"dense": {"units": 16, "activation": "relu", "input_shape": [4]}},
    {"dropout": {"rate": 0.2}},
    {"dense": {"units": 3, "activation": "softmax"}}],
  "loss": "sparse_categorical_crossentropy",
  "optimizer": {"adam": {}, "learning_rate": 0.01},
  "metrics": ["accuracy"]})";

TEST(ModelTest, SeedBatchNormSummary) {
  auto model = Model::Create(SpecFromJson(kSeedBn));
  ASSERT_TRUE(model.ok()) << model.status();
  Summary s = (*model)->summary();
  EXPECT_EQ(s.total, 271346);
  EXPECT_EQ(s.trainable, 268978);
  EXPECT_EQ(s.non_trainable, 2368);
  const std::vector<std::pair<std::string, int64_t>> expected = {
      {"flatten", 0},       {"batch_normalization", 3136},
      {"dense", 235500},    {"batch_normalization_1", 1200},
      {"dense_1", 30100},   {"batch_normalization_2", 400},
      {"dense_2", 1010}};
  ASSERT_EQ(s.rows.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(s.rows[i].name, expected[i].first);
    EXPECT_EQ(s.rows[i].params, expected[i].second) << expected[i].first;
  }
  EXPECT_EQ(s.rows[1].type, "BatchNormalization");
  EXPECT_EQ(s.rows[2].output_shape, (Shape{300}));
  const std::string table = s.ToString();
  EXPECT_THAT(table, HasSubstr("Total params: 271,346"));
  EXPECT_THAT(table, HasSubstr("Trainable params: 268,978"));
  EXPECT_THAT(table, HasSubstr("Non-trainable params: 2,368"));
  EXPECT_THAT(table, HasSubstr("dense_1 (Dense)"));
  EXPECT_THAT(table, HasSubstr("(None, 784)"));
}

struct BadSpec {
  std::string json;
  std::string message;
};

TEST(ModelTest, InvalidSpecsNameTheField) {
  const std::vector<BadSpec> cases = {
      {R"({"layers": []})", "layers must not be empty"},
      {R"({"layers": [{"dense": {"units": 3}}]})",
       "layers[0].dense.input_shape is required"},
      {R"({"layers": [{"flatten": {"input_shape": [28, 28]}},
                      {"dense": {"units": 3}},
                      {"dense": {"units": 0}}]})",
       "layers[2].dense.units must be > 0"},
      {R"({"layers": [{"flatten": {"input_shape": [4]}},
                      {"dense": {"units": 3, "input_shape": [4]}}]})",
       "layers[1].dense.input_shape is only allowed on the first layer"},
      {R"({"layers": [{"flatten": {"input_shape": [4]}},
                      {"dense": {"units": 3, "activation": "swish"}}]})",
       "layers[1].dense.activation"},
      {R"({"layers": [{"flatten": {"input_shape": [0, 3]}}]})",
       "layers[0].flatten.input_shape"},
      {R"({"layers": [{"flatten": {"input_shape": [4]}},
                      {"dense": {"units": 3}, "name": "a"},
                      {"dense": {"units": 3}, "name": "a"}]})",
       "layers[2].name \"a\" is used by another layer"},
      {R"({"layers": [{"flatten": {"input_shape": [4]}}, {"dense": {"units": 3}}],
           "loss": "hinge"})",
       "loss"},
      {R"({"layers": [{"flatten": {"input_shape": [4]}}, {"dense": {"units": 3}}],
           "metrics": ["auc"]})",
       "metrics[0]"},
      {R"({"layers": [{"flatten": {"input_shape": [4]}}, {"dense": {"units": 3}}],
           "optimizer": {"sgd": {"momentum": 1.5}}})",
       "optimizer.sgd.momentum"},
      {R"({"layers": [{"flatten": {"input_shape": [4]}}, {}]})",
       "layers[1] has no layer type"},
      {R"({"layers": [{"flatten": {"input_shape": [4]}}, {"dense": {"units": 3}}],
           "dtype_policy": "mixed_float16"})",
       "dtype_policy \"mixed_float16\" is not supported (float32, mixed_bfloat16)"},
  };
  for (const BadSpec& c : cases) {
    auto spec = ParseJson<v1::ModelSpec>(c.json);
    if (!spec.ok()) continue;  // JSON-level rejection is also fine
    auto model = Model::Create(*spec);
    ASSERT_FALSE(model.ok()) << c.json;
    EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(model.status().message()), HasSubstr(c.message))
        << c.json;
  }
}

TEST(ModelTest, UnknownJsonFieldIsRejected) {
  auto spec = ParseJson<v1::ModelSpec>(R"({"layers": [{"conv2d": {}}]})");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(std::string(spec.status().message()), HasSubstr("conv2d"));
}

TEST(ModelTest, LearnsSeparableBlobs) {
  auto model = Model::Create(SpecFromJson(kSmall), 7);
  ASSERT_TRUE(model.ok()) << model.status();
  Dataset train = Blobs(600, 4, 3, 1), test = Blobs(300, 4, 3, 2);
  FitOptions opts;
  opts.epochs = 5;
  opts.validation_split = 0.2;
  int batches_seen = 0;
  std::vector<double> last_batch_seconds(5, 0.0);
  opts.on_batch_end = [&](const Progress& p) {
    ++batches_seen;
    EXPECT_EQ(p.batches, 15);  // 480 samples / 32
    // The epoch's clock: running from its first step, never backwards.
    EXPECT_GT(p.seconds, 0.0);
    EXPECT_GE(p.seconds, last_batch_seconds[p.epoch]);
    last_batch_seconds[p.epoch] = p.seconds;
  };
  auto history = (*model)->Fit(train, std::move(opts));
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->epochs.size(), 5u);
  EXPECT_EQ(batches_seen, 75);
  ASSERT_EQ(history->seconds.size(), 5u);
  for (size_t e = 0; e < 5; ++e) {
    // The epoch's seconds (steps and validation) cover its steps' seconds
    // and its last batch's report.
    EXPECT_GE(history->epochs[e].seconds, history->seconds[e]);
    EXPECT_GE(history->epochs[e].seconds, last_batch_seconds[e]);
    EXPECT_GE(history->seconds[e], last_batch_seconds[e]);
  }
  EXPECT_LT(history->epochs.back().loss, history->epochs.front().loss);
  ASSERT_TRUE(history->epochs.back().val_accuracy.has_value());
  EXPECT_GT(*history->epochs.back().val_accuracy, 0.9);
  EXPECT_NEAR(history->epochs[0].lr, 0.01, 1e-12);
  auto ev = (*model)->Evaluate(test);
  ASSERT_TRUE(ev.ok());
  EXPECT_GT(ev->accuracy, 0.9);

  auto pred = (*model)->Predict(test.x);
  ASSERT_TRUE(pred.ok());
  ASSERT_EQ(pred->shape(), (Shape{300, 3}));
  for (int64_t i = 0; i < 300; ++i) {
    EXPECT_NEAR(pred->at(i, 0) + pred->at(i, 1) + pred->at(i, 2), 1.0, 1e-5);
  }
}

// validation_split holds out the last rows and trains on the first ones
// in place: the same bits as the first rows passed as the training set and
// the last ones as validation_data, with and without standardization
// (which fits on the training rows only).
TEST(ModelTest, ValidationSplitIsTheFirstRowsAndValidationDataTheRest) {
  for (bool standardize : {false, true}) {
    SCOPED_TRACE(standardize ? "standardized" : "raw");
    v1::ModelSpec spec = SpecFromJson(kSmall);
    spec.mutable_preprocessing()->set_standardize(standardize);
    const Dataset all = Blobs(250, 4, 3, 4);
    const Dataset first{all.x.Rows(0, 200), all.y.Rows(0, 200)};
    const Dataset last{all.x.Rows(200, 250), all.y.Rows(200, 250)};
    auto split = Model::Create(spec, 3);
    auto explicit_val = Model::Create(spec, 3);
    ASSERT_TRUE(split.ok() && explicit_val.ok());
    FitOptions a;
    a.epochs = 2;
    a.validation_split = 0.2;
    FitOptions b;
    b.epochs = 2;
    b.validation_data = &last;
    auto ha = (*split)->Fit(all, std::move(a));
    auto hb = (*explicit_val)->Fit(first, std::move(b));
    ASSERT_TRUE(ha.ok() && hb.ok());
    ASSERT_EQ(ha->epochs.size(), 2u);
    for (size_t e = 0; e < 2; ++e) {
      EXPECT_EQ(ha->epochs[e].loss, hb->epochs[e].loss) << e;
      EXPECT_EQ(ha->epochs[e].val_loss, hb->epochs[e].val_loss) << e;
      EXPECT_EQ(ha->epochs[e].val_accuracy, hb->epochs[e].val_accuracy) << e;
    }
    EXPECT_EQ(*(*split)->Save(), *(*explicit_val)->Save());
    // The caller's data is left as it was.
    EXPECT_EQ(all.x.values(), Blobs(250, 4, 3, 4).x.values());
    EXPECT_EQ(last.x.values(), all.x.Rows(200, 250).values());
  }
}

TEST(ModelTest, FitRejectsBadData) {
  auto model = Model::Create(SpecFromJson(kSmall));
  ASSERT_TRUE(model.ok());
  Dataset wrong_features = Blobs(10, 5, 3, 1);
  auto h = (*model)->Fit(wrong_features, FitOptions());
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(std::string(h.status().message()), HasSubstr("input_shape [4]"));
  Dataset bad_labels = Blobs(10, 4, 3, 1);
  bad_labels.y.data()[3] = 7;
  h = (*model)->Fit(bad_labels, FitOptions());
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  Dataset empty{Tensor({0, 4}), Tensor({0})};
  EXPECT_FALSE((*model)->Fit(empty, FitOptions()).ok());
}

// Runs a 3-epoch fit and returns the history and final weights.
std::pair<History, std::vector<float>> TrainSmall(uint64_t seed) {
  auto model = Model::Create(SpecFromJson(kSmall), seed);
  EXPECT_TRUE(model.ok());
  FitOptions opts;
  opts.epochs = 3;
  auto h = (*model)->Fit(Blobs(200, 4, 3, 5), std::move(opts));
  EXPECT_TRUE(h.ok());
  return {*h, (*model)->parameters().trainable_values()};
}

TEST(ModelTest, SameSeedSameResult) {
  omp_set_num_threads(1);
  auto [h1, w1] = TrainSmall(11);
  auto [h2, w2] = TrainSmall(11);
  auto [h3, w3] = TrainSmall(12);
  EXPECT_EQ(w1, w2);
  EXPECT_NE(w1, w3);
  ASSERT_EQ(h1.epochs.size(), h2.epochs.size());
  for (size_t i = 0; i < h1.epochs.size(); ++i) {
    EXPECT_EQ(h1.epochs[i].loss, h2.epochs[i].loss);
    EXPECT_EQ(h1.epochs[i].accuracy, h2.epochs[i].accuracy);
  }
}

TEST(ModelTest, CancelStopsWithinABatch) {
  auto model = Model::Create(SpecFromJson(kSmall));
  ASSERT_TRUE(model.ok());
  std::atomic<bool> cancel{false};
  FitOptions opts;
  opts.epochs = 100;
  opts.cancel = &cancel;
  int batches = 0;
  opts.on_batch_end = [&](const Progress&) {
    if (++batches == 3) cancel = true;
  };
  auto h = (*model)->Fit(Blobs(320, 4, 3, 1), std::move(opts));
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->cancelled);
  EXPECT_EQ(batches, 3);
  EXPECT_TRUE(h->epochs.empty());
}

TEST(ModelTest, SaveLoadPredictsIdentically) {
  auto model = Model::Create(SpecFromJson(kSmall), 3);
  ASSERT_TRUE(model.ok());
  FitOptions opts;
  opts.epochs = 2;
  ASSERT_TRUE((*model)->Fit(Blobs(200, 4, 3, 5), std::move(opts)).ok());
  Dataset test = Blobs(50, 4, 3, 9);
  auto before = (*model)->Predict(test.x);
  auto bytes = (*model)->Save();
  ASSERT_TRUE(bytes.ok());
  auto loaded = Model::Load(*bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto after = (*loaded)->Predict(test.x);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(before->values(), after->values());
  EXPECT_FALSE(Model::Load("garbage").ok());
}

// A checkpoint taken after epoch 2 and resumed in a fresh model gives the
// same epochs and weights as the run that was not interrupted, with each
// optimizer and each callback that carries state across epochs.
struct ResumeCase {
  std::string name;
  std::string optimizer;  // ModelSpec JSON
  std::function<void(v1::TrainConfig*)> callbacks;
};

void PrintTo(const ResumeCase& c, std::ostream* os) { *os << c.name; }

class ResumeTest : public ::testing::TestWithParam<ResumeCase> {};

TEST_P(ResumeTest, ResumeFromCheckpointEqualsUninterruptedRun) {
  omp_set_num_threads(1);
  const std::string spec = absl::StrCat(R"({
    "layers": [
      {"dense": {"units": 16, "activation": "elu", "input_shape": [4]}},
      {"batch_normalization": {}},
      {"dropout": {"rate": 0.3}},
      {"dense": {"units": 3, "activation": "softmax"}}],
    "optimizer": )", GetParam().optimizer, R"(,
    "preprocessing": {"standardize": true}})");
  v1::TrainConfig config;
  config.set_epochs(4);
  config.set_validation_split(0.25);
  GetParam().callbacks(&config);
  const Dataset data = Blobs(240, 4, 3, 8);

  // Uninterrupted, keeping the checkpoint after epoch 2.
  auto full = Model::Create(SpecFromJson(spec), 5);
  ASSERT_TRUE(full.ok());
  auto opts = FitOptionsFromConfig(config, false);
  ASSERT_TRUE(opts.ok()) << opts.status();
  std::string after_two;
  int checkpoints = 0;
  opts->on_checkpoint = [&](const std::string& c) {
    if (++checkpoints == 2) after_two = c;
  };
  auto h_full = (*full)->Fit(data, std::move(*opts));
  ASSERT_TRUE(h_full.ok());
  ASSERT_FALSE(after_two.empty());

  // A fresh process: new model, resume.
  auto resumed = Model::Create(SpecFromJson(spec), 5);
  ASSERT_TRUE(resumed.ok());
  auto opts2 = FitOptionsFromConfig(config, false);
  ASSERT_TRUE(opts2.ok());
  opts2->resume_from = &after_two;
  auto h_res = (*resumed)->Fit(data, std::move(*opts2));
  ASSERT_TRUE(h_res.ok()) << h_res.status();
  ASSERT_EQ(h_res->epochs.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(h_res->epochs[i].loss, h_full->epochs[i].loss) << i;
    EXPECT_EQ(h_res->epochs[i].val_loss, h_full->epochs[i].val_loss) << i;
    EXPECT_EQ(h_res->epochs[i].lr, h_full->epochs[i].lr) << i;
  }
  EXPECT_EQ((*resumed)->parameters().trainable_values(),
            (*full)->parameters().trainable_values());
  EXPECT_EQ((*resumed)->parameters().non_trainable_values(),
            (*full)->parameters().non_trainable_values());
}

void ReduceLrOnPlateau(v1::TrainConfig* config) {
  auto* cb = config->add_callbacks()->mutable_reduce_lr_on_plateau();
  cb->set_patience(1);
  cb->set_factor(0.5);
  cb->set_monitor("loss");
}

void OneCycle(v1::TrainConfig* config) {
  config->add_callbacks()->mutable_one_cycle()->set_max_rate(0.01);
}

INSTANTIATE_TEST_SUITE_P(
    OptimizersAndCallbacks, ResumeTest,
    ::testing::Values(
        ResumeCase{"nadam_plateau", R"({"nadam": {}})", ReduceLrOnPlateau},
        ResumeCase{"nadam_one_cycle", R"({"nadam": {}})", OneCycle},
        ResumeCase{"sgd_nesterov_one_cycle",
                   R"({"sgd": {"momentum": 0.9, "nesterov": true}})", OneCycle},
        ResumeCase{"adam_one_cycle", R"({"adam": {}})", OneCycle},
        ResumeCase{"rmsprop_one_cycle", R"({"rmsprop": {"momentum": 0.5}})",
                   OneCycle},
        ResumeCase{"adamax_decay",
                   R"({"adamax": {}, "learning_rate_schedule": {"exponential_decay": {
                       "initial_learning_rate": 0.01, "decay_steps": 10,
                       "decay_rate": 0.5}}})",
                   [](v1::TrainConfig*) {}},
        ResumeCase{"adagrad", R"({"adagrad": {}})", [](v1::TrainConfig*) {}}),
    [](const ::testing::TestParamInfo<ResumeCase>& info) {
      return info.param.name;
    });

TEST(ModelTest, McDropoutMeanAndStd) {
  auto model = Model::Create(SpecFromJson(kSmall), 3);
  ASSERT_TRUE(model.ok());
  FitOptions opts;
  opts.epochs = 3;
  ASSERT_TRUE((*model)->Fit(Blobs(300, 4, 3, 5), std::move(opts)).ok());
  Dataset test = Blobs(40, 4, 3, 9);
  auto mc = (*model)->PredictMc(test.x, 200);
  ASSERT_TRUE(mc.ok()) << mc.status();
  ASSERT_EQ(mc->mean.shape(), (Shape{40, 3}));
  double max_std = 0;
  for (int64_t i = 0; i < 40; ++i) {
    double row = 0;
    for (int j = 0; j < 3; ++j) {
      row += mc->mean.at(i, j);
      max_std = std::max<double>(max_std, mc->std.at(i, j));
      EXPECT_GE(mc->std.at(i, j), 0.0f);
    }
    EXPECT_NEAR(row, 1.0, 1e-4);
  }
  EXPECT_GT(max_std, 1e-3);  // dropout makes the passes differ
  // The MC mean is close to the deterministic prediction for a small rate.
  auto det = (*model)->Predict(test.x);
  ASSERT_TRUE(det.ok());
  for (int64_t i = 0; i < 40 * 3; ++i) {
    EXPECT_NEAR(mc->mean.data()[i], det->data()[i], 0.15);
  }
  // Without any dropout layer, MC prediction is refused.
  auto plain = Model::Create(SpecFromJson(R"({"layers": [
      {"dense": {"units": 3, "activation": "softmax", "input_shape": [4]}}]})"));
  ASSERT_TRUE(plain.ok());
  auto refused = (*plain)->PredictMc(test.x, 10);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ModelTest, McMeanConvergesAsSamplesGrow) {
  auto model = Model::Create(SpecFromJson(kSmall), 3);
  ASSERT_TRUE(model.ok());
  Dataset test = Blobs(20, 4, 3, 9);
  auto reference = (*model)->PredictMc(test.x, 20000);
  ASSERT_TRUE(reference.ok());
  auto error = [&](int n) {
    auto mc = (*model)->PredictMc(test.x, n);
    EXPECT_TRUE(mc.ok());
    double e = 0;
    for (int64_t i = 0; i < mc->mean.size(); ++i) {
      e += std::abs(mc->mean.data()[i] - reference->mean.data()[i]);
    }
    return e / mc->mean.size();
  };
  const double e10 = error(10), e1000 = error(1000);
  EXPECT_LT(e1000, e10);
  EXPECT_LT(e1000, 0.01);
}

// Outside training a Dropout passes the batch on (Layer::IdentityIn): a
// model with Dropout layers predicts and evaluates exactly as the same
// weights without them, also when a Dropout is the first layer or two
// follow each other (one with rate 0); MC passes still drop units.
TEST(ModelTest, DropoutLayersPassTheBatchOnOutsideTraining) {
  const std::string tail = R"(
    "loss": "sparse_categorical_crossentropy",
    "optimizer": {"sgd": {}}})";
  auto with = Model::Create(SpecFromJson(R"({"layers": [
      {"dropout": {"rate": 0.3, "input_shape": [6]}},
      {"dense": {"units": 8, "activation": "elu"}},
      {"dropout": {"rate": 0.2}},
      {"dropout": {"rate": 0.0}},
      {"dense": {"units": 3, "activation": "softmax"}}],)" +
                                         tail),
                            5);
  auto without = Model::Create(SpecFromJson(R"({"layers": [
      {"dense": {"units": 8, "activation": "elu", "input_shape": [6]}},
      {"dense": {"units": 3, "activation": "softmax"}}],)" +
                                            tail),
                               5);
  ASSERT_TRUE(with.ok()) << with.status();
  ASSERT_TRUE(without.ok()) << without.status();
  ASSERT_EQ((*with)->parameters().trainable_values().size(),
            (*without)->parameters().trainable_values().size());
  (*with)->parameters().trainable_values() =
      (*without)->parameters().trainable_values();
  const Dataset d = Blobs(50, 6, 3, 9);
  for (int round = 0; round < 2; ++round) {  // buffers reused after a swap
    auto a = (*with)->Predict(d.x, 16);
    auto b = (*without)->Predict(d.x, 16);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->values(), b->values());
    auto ea = (*with)->Evaluate(d);
    auto eb = (*without)->Evaluate(d);
    ASSERT_TRUE(ea.ok() && eb.ok());
    EXPECT_EQ(ea->loss, eb->loss);
    EXPECT_EQ(ea->accuracy, eb->accuracy);
  }
  auto mc = (*with)->PredictMc(d.x, 8);
  ASSERT_TRUE(mc.ok()) << mc.status();
  double spread = 0;
  for (float v : mc->std.values()) spread += v;
  EXPECT_GT(spread, 0.0);  // the MC passes differ
}

// A leading Flatten is skipped (the batch is gathered straight into its
// output): the same model without it, on the flattened data, gives the same
// bits in training, evaluation and (MC) prediction.
TEST(ModelTest, LeadingFlattenChangesNothing) {
  const std::string rest = R"(
      {"dropout": {"rate": 0.25}},
      {"dense": {"units": 3, "activation": "softmax"}}],
    "loss": "sparse_categorical_crossentropy",
    "optimizer": {"nadam": {}, "learning_rate": 0.01}})";
  auto flat = Model::Create(SpecFromJson(R"({"layers": [
      {"dense": {"units": 8, "activation": "relu", "input_shape": [6]}},)" +
                                         rest),
                            5);
  auto with_flatten = Model::Create(SpecFromJson(R"({"layers": [
      {"flatten": {"input_shape": [2, 3]}},
      {"dense": {"units": 8, "activation": "relu"}},)" + rest),
                                    5);
  ASSERT_TRUE(flat.ok()) << flat.status();
  ASSERT_TRUE(with_flatten.ok()) << with_flatten.status();
  const Dataset d = Blobs(200, 6, 3, 9);
  const Dataset d3{Tensor({200, 2, 3}, d.x.values()), d.y};
  FitOptions a, b;
  a.epochs = b.epochs = 2;
  a.batch_size = b.batch_size = 16;
  auto ha = (*flat)->Fit(d, std::move(a));
  auto hb = (*with_flatten)->Fit(d3, std::move(b));
  ASSERT_TRUE(ha.ok()) << ha.status();
  ASSERT_TRUE(hb.ok()) << hb.status();
  for (int e = 0; e < 2; ++e) {
    EXPECT_EQ(ha->epochs[e].loss, hb->epochs[e].loss) << "epoch " << e;
    EXPECT_EQ(ha->epochs[e].accuracy, hb->epochs[e].accuracy) << "epoch " << e;
  }
  EXPECT_EQ((*flat)->parameters().trainable_values(),
            (*with_flatten)->parameters().trainable_values());
  auto pa = (*flat)->Predict(d.x, 7);
  auto pb = (*with_flatten)->Predict(d3.x, 7);
  ASSERT_TRUE(pa.ok() && pb.ok());
  EXPECT_EQ(pa->values(), pb->values());
  auto ma = (*flat)->PredictMc(d.x, 5, 9);
  auto mb = (*with_flatten)->PredictMc(d3.x, 5, 9);
  ASSERT_TRUE(ma.ok() && mb.ok());
  EXPECT_EQ(ma->mean.values(), mb->mean.values());
  EXPECT_EQ(ma->std.values(), mb->std.values());
  auto ea = (*flat)->Evaluate(d, 11);
  auto eb = (*with_flatten)->Evaluate(d3, 11);
  ASSERT_TRUE(ea.ok() && eb.ok());
  EXPECT_EQ(ea->loss, eb->loss);
}

// mixed_bfloat16 keeps the bf16 weights the optimizer wrote; weights the
// caller writes afterwards (through raw pointers) are still what the next
// prediction uses: the same outputs as a model that never trained.
TEST(ModelTest, MixedBfloat16PredictionsSeeWeightsWrittenAfterFit) {
  if (!CheckDtypePolicySupported(DtypePolicy::kMixedBfloat16, "p").ok()) {
    GTEST_SKIP() << "no bf16 inner product on this CPU";
  }
  const std::string spec = R"({"layers": [
      {"dense": {"units": 16, "activation": "relu", "input_shape": [4]}},
      {"dense": {"units": 3, "activation": "softmax"}}],
    "loss": "sparse_categorical_crossentropy",
    "optimizer": {"nadam": {}, "learning_rate": 0.01},
    "dtype_policy": "mixed_bfloat16"})";
  auto trained = Model::Create(SpecFromJson(spec), 1);
  auto fresh = Model::Create(SpecFromJson(spec), 2);
  ASSERT_TRUE(trained.ok() && fresh.ok());
  const Dataset d = Blobs(64, 4, 3, 3);
  FitOptions fit;
  fit.epochs = 1;
  fit.batch_size = 16;
  ASSERT_TRUE((*trained)->Fit(d, std::move(fit)).ok());
  ParameterStore& t = (*trained)->parameters();
  ParameterStore& f = (*fresh)->parameters();
  for (size_t id = 0; id < t.params().size(); ++id) {
    const int i = static_cast<int>(id);
    for (int64_t k = 0; k < t.param(i).size; ++k) {
      t.value(i)[k] = f.value(i)[k] = 0.01f * static_cast<float>(k % 17) - 0.05f;
    }
  }
  auto pt = (*trained)->Predict(d.x);
  auto pf = (*fresh)->Predict(d.x);
  ASSERT_TRUE(pt.ok() && pf.ok());
  EXPECT_EQ(pt->values(), pf->values());
}

}  // namespace
}  // namespace profundo
