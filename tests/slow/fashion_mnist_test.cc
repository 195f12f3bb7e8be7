// The seed's reference points on the real Fashion-MNIST (the
// dataset-fashion-mnist package): slow, labelled `slow`.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "engine/callbacks/one_cycle.h"
#include "engine/datasets/idx.h"
#include "engine/health/lr_range_test.h"
#include "engine/model.h"
#include "engine/spec_json.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

constexpr char kDir[] = "/usr/share/datasets/fashion-mnist/";

Dataset Load(const std::string& images, const std::string& labels) {
  auto d = ReadIdxDataset(std::string(kDir) + images, std::string(kDir) + labels);
  EXPECT_TRUE(d.ok()) << d.status();
  for (float& v : d->x.values()) v /= 255.0f;
  return *std::move(d);
}

v1::ModelSpec LoadSpec(const std::string& name) {
  const char* src = std::getenv("PROFUNDO_SOURCE_DIR");
  std::ifstream in(std::string(src ? src : ".") + "/deploy/examples/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  auto spec = ParseJson<v1::ModelSpec>(ss.str());
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

class FashionMnistTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    train_ = new Dataset(Load("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"));
    test_ = new Dataset(Load("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"));
  }
  static void TearDownTestSuite() {
    delete train_;
    delete test_;
  }
  static Dataset* train_;
  static Dataset* test_;
};
Dataset* FashionMnistTest::train_ = nullptr;
Dataset* FashionMnistTest::test_ = nullptr;

// The seed's BN model (he_normal, ELU, BN; SGD momentum 0.9), 2 epochs.
TEST_F(FashionMnistTest, SeedBatchNormModelReaches85Percent) {
  auto model = Model::Create(LoadSpec("seed_bn.json"), 42);
  ASSERT_TRUE(model.ok()) << model.status();
  FitOptions opts;
  opts.epochs = 2;
  opts.validation_split = 5000.0 / 60000.0;
  auto h = (*model)->Fit(*train_, std::move(opts));
  ASSERT_TRUE(h.ok()) << h.status();
  auto ev = (*model)->Evaluate(*test_);
  ASSERT_TRUE(ev.ok());
  std::printf("seed BN model: test accuracy %.4f, loss %.4f\n", ev->accuracy, ev->loss);
  EXPECT_GE(ev->accuracy, 0.85);
  EXPECT_LT(h->epochs[1].loss, h->epochs[0].loss);
}

// The seed's dropout model (Nadam, standardized inputs), 2 epochs: about
// 0.858 test accuracy, MC dropout with 100 samples about the same.
TEST_F(FashionMnistTest, SeedDropoutModelAndMcDropout) {
  auto model = Model::Create(LoadSpec("seed_dropout.json"), 42);
  ASSERT_TRUE(model.ok()) << model.status();
  FitOptions opts;
  opts.epochs = 2;
  opts.validation_split = 5000.0 / 60000.0;
  auto h = (*model)->Fit(*train_, std::move(opts));
  ASSERT_TRUE(h.ok()) << h.status();
  auto ev = (*model)->Evaluate(*test_);
  ASSERT_TRUE(ev.ok());
  auto mc = (*model)->PredictMc(test_->x, 100, 256);
  ASSERT_TRUE(mc.ok()) << mc.status();
  int64_t correct = 0;
  for (int64_t i = 0; i < test_->size(); ++i) {
    const float* m = mc->mean.data() + i * 10;
    correct += std::max_element(m, m + 10) - m == static_cast<int64_t>(test_->y.data()[i]);
  }
  const double mc_accuracy = static_cast<double>(correct) / test_->size();
  std::printf("seed dropout model: test accuracy %.4f, MC (100) %.4f\n",
              ev->accuracy, mc_accuracy);
  EXPECT_GE(ev->accuracy, 0.84);
  EXPECT_GE(mc_accuracy, 0.84);
  EXPECT_NEAR(mc_accuracy, ev->accuracy, 0.015);
}

// The seed's recipe for 1cycle: the LR range test's suggested maximum rate,
// as OneCycle's max_rate for one epoch of the BN model, trains it well.
TEST_F(FashionMnistTest, LrRangeTestSuggestsAOneCycleMaxRateThatTrains) {
  const v1::ModelSpec spec = LoadSpec("seed_bn.json");
  LrRangeOptions o;
  o.min_lr = 1e-5;
  o.max_lr = 10;
  o.batch_size = 128;  // one epoch: 469 steps
  auto r = LrRangeTest(spec, *train_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  std::printf("LR range test: %zu steps, min-loss lr %.4g, steepest %.4g, "
              "suggested max_rate %.4g%s\n",
              r->points.size(), r->min_loss_lr, r->steepest_lr,
              r->suggested_max_rate, r->exploded ? " (exploded)" : "");
  EXPECT_GT(r->suggested_max_rate, 1e-4);
  EXPECT_LT(r->suggested_max_rate, 1.0);

  auto model = Model::Create(spec, 42);
  ASSERT_TRUE(model.ok()) << model.status();
  FitOptions fit;
  OneCycleOptions oc;
  oc.max_rate = r->suggested_max_rate;
  oc.start_rate = oc.max_rate / 10;
  oc.last_rate = oc.start_rate / 1000;
  fit.callbacks.push_back(std::make_unique<OneCycle>(oc));
  auto h = (*model)->Fit(*train_, std::move(fit));
  ASSERT_TRUE(h.ok()) << h.status();
  auto ev = (*model)->Evaluate(*test_);
  ASSERT_TRUE(ev.ok()) << ev.status();
  std::printf("seed BN model, 1 epoch of OneCycle(max_rate %.4g): test "
              "accuracy %.4f, loss %.4f\n",
              oc.max_rate, ev->accuracy, ev->loss);
  EXPECT_GE(ev->accuracy, 0.83);
}

}  // namespace
}  // namespace profundo
