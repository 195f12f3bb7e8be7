#include "engine/optimizers/nadam.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/optimizers/optimizer_test_util.h"

namespace profundo {
namespace {

using testing_util::ExpectWeightsNear;
using testing_util::Gradients;
using testing_util::InitialWeights;
using testing_util::RunSteps;

// Current Keras (SPEC: mu_t = b1 (1 - 0.5 * 0.96^t)), t from 1:
//   prod_t = mu_1 ... mu_t
//   m += (g-m)(1-b1); v += (g^2-v)(1-b2)
//   mhat = mu_{t+1} m / (1 - prod_t mu_{t+1}) + (1 - mu_t) g / (1 - prod_t)
//   vhat = v / (1 - b2^t); w -= lr mhat / (sqrt(vhat) + eps)
std::vector<std::vector<double>> Reference(double lr, double b1, double b2,
                                           double eps) {
  std::vector<double> w = InitialWeights();
  std::vector<double> m(3, 0.0), v(3, 0.0);
  std::vector<std::vector<double>> out;
  double prod = 1.0;
  int t = 0;
  for (const std::vector<double>& g : Gradients()) {
    ++t;
    const double mu_t = b1 * (1 - 0.5 * std::pow(0.96, t));
    const double mu_next = b1 * (1 - 0.5 * std::pow(0.96, t + 1));
    prod *= mu_t;
    for (int i = 0; i < 3; ++i) {
      m[i] += (g[i] - m[i]) * (1 - b1);
      v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
      const double mhat = mu_next * m[i] / (1 - prod * mu_next) +
                          (1 - mu_t) * g[i] / (1 - prod);
      const double vhat = v[i] / (1 - std::pow(b2, t));
      w[i] -= lr * mhat / (std::sqrt(vhat) + eps);
    }
    out.push_back(w);
  }
  return out;
}

std::unique_ptr<Nadam> Make() {
  OptimizerOptions o;
  o.learning_rate = 0.1;
  return std::make_unique<Nadam>(std::move(o), 0.9, 0.999, 1e-7);
}

TEST(NadamTest, CurrentKerasMomentumSchedule) {
  auto opt = Make();
  EXPECT_TRUE(opt->has_momentum());
  auto got = RunSteps(*opt, Gradients());
  // Step 1 by hand: mu_1 = 0.9 * 0.52 = 0.468, mu_2 = 0.9 * 0.5392 =
  // 0.48528, prod_2 = 0.22711104; mhat = (0.048528 / 0.77288896 + 1) g and
  // vhat = g^2, so w -= 0.1 * 1.0627878 sign g.
  EXPECT_NEAR(got[0][0], 1.0 - 0.10627878, 1e-6);
  EXPECT_NEAR(got[0][1], -2.0 + 0.10627878, 1e-6);
  ExpectWeightsNear(got, Reference(0.1, 0.9, 0.999, 1e-7), 2e-6);
}

TEST(NadamTest, ResumeFromSlotsAndIterations) {
  // Two steps, then a fresh optimizer given the slots and step counter (what
  // a checkpoint restores) takes the third step as the first would have.
  auto first = Make();
  ParameterStore store;
  store.Add("w", {3}, true);
  store.Allocate();
  const auto w0 = InitialWeights();
  for (int i = 0; i < 3; ++i) store.trainable_values()[i] = float(w0[i]);
  const auto grads = Gradients();
  for (int s = 0; s < 2; ++s) {
    for (int i = 0; i < 3; ++i) store.grads()[i] = float(grads[s][i]);
    first->Step(store);
  }
  auto second = Make();
  auto from = first->slots();
  auto to = second->slots();
  ASSERT_EQ(from.size(), to.size());
  for (size_t k = 0; k < from.size(); ++k) *to[k].second = *from[k].second;
  second->set_iterations(first->iterations());
  for (int i = 0; i < 3; ++i) store.grads()[i] = float(grads[2][i]);
  second->Step(store);
  const auto want = Reference(0.1, 0.9, 0.999, 1e-7);
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(store.trainable_values()[i], want[2][i], 2e-6);
}

TEST(NadamTest, MomentumProductIsCheckpointState) {
  // The running product of mu_t is state: with beta_1 changed between steps
  // (OneCycle) it cannot be rebuilt from the step counter.
  auto opt = Make();
  EXPECT_EQ(opt->scalars().at("u_product"), 1.0);  // no step yet
  RunSteps(*opt, {{0.1, -0.2, 0.3}});
  opt->set_momentum(0.85);
  RunSteps(*opt, {{0.1, -0.2, 0.3}});
  // mu_1 = 0.9 (1 - 0.5 * 0.96) = 0.468; mu_2 = 0.85 (1 - 0.5 * 0.9216)
  // = 0.45832.
  ASSERT_EQ(opt->scalars().size(), 1u);
  EXPECT_NEAR(opt->scalars().at("u_product"), 0.468 * 0.45832, 1e-12);

  auto resumed = Make();
  resumed->set_iterations(2);
  ASSERT_TRUE(resumed->set_scalars({{"u_product", 0.25}}).ok());
  EXPECT_EQ(resumed->scalars().at("u_product"), 0.25);
  EXPECT_TRUE(resumed->set_scalars({}).ok());  // older checkpoints

  const absl::Status unknown = resumed->set_scalars({{"velocity", 1.0}});
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.message(),
            "checkpoint optimizer state \"velocity\" is not a Nadam state");
  const absl::Status zero = resumed->set_scalars({{"u_product", 0.0}});
  EXPECT_EQ(zero.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(zero.message(),
            "checkpoint optimizer state u_product is 0; it must be in (0, 1]");
}

}  // namespace
}  // namespace profundo
