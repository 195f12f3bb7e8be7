// Hostile model specs (HostileInputTest, hostile_fixture.h): enormous and
// deeply nested specs, unknown enum values, out-of-range fields.
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/service/hostile_fixture.h"

namespace profundo::server {
namespace {

using ::profundo::server::testing::Call;
using ::profundo::server::testing::HostileCase;
using ::profundo::server::testing::kHuge;
using ::profundo::server::testing::TinySpec;

TEST_F(HostileInputTest, EnormousAndMalformedSpecsAreRefused) {
  auto with = [](std::function<void(v1::ModelSpec*)> edit) {
    v1::ModelSpec spec = TinySpec();
    edit(&spec);
    return spec;
  };
  const v1::ModelSpec thousands = with([](v1::ModelSpec* s) {
    for (int i = 0; i < 1000; ++i) s->add_layers()->mutable_dropout()->set_rate(0.1);
  });
  const v1::ModelSpec huge_units = with([](v1::ModelSpec* s) {
    s->mutable_layers(1)->mutable_dense()->set_units(kHuge);
  });
  // At the engine's cap of 2^24 units: 16 x 2^24 + 2^24 weights, refused
  // before anything is allocated.
  const v1::ModelSpec capped_units = with([](v1::ModelSpec* s) {
    s->mutable_layers(1)->mutable_dense()->set_units(int64_t{1} << 24);
    s->mutable_layers(2)->mutable_dense()->set_units(int64_t{1} << 24);
  });
  const v1::ModelSpec just_over = with([](v1::ModelSpec* s) {
    // 16 x 600 + 600 = 10,200 weights in the first dense layer.
    s->mutable_layers(1)->mutable_dense()->set_units(600);
  });
  const v1::ModelSpec big_schedule = with([](v1::ModelSpec* s) {
    auto* pw = s->mutable_optimizer()
                   ->mutable_learning_rate_schedule()
                   ->mutable_piecewise_constant_decay();
    for (int i = 0; i < 20'000; ++i) {
      pw->add_boundaries(i + 1);
      pw->add_values(0.01);
    }
    pw->add_values(0.001);
  });
  v1::ModelSpec unknown_layer = TinySpec();
  unknown_layer.mutable_layers(1)->clear_dense();
  unknown_layer.mutable_layers(1)->GetReflection()
      ->MutableUnknownFields(unknown_layer.mutable_layers(1))
      ->AddVarint(999, 1);  // a layer kind from the future
  const double nan = std::numeric_limits<double>::quiet_NaN();

  const std::vector<HostileCase> cases = {
      {"1003 layers", [&] { return Validate(thousands); },
       absl::StatusCode::kResourceExhausted,
       "spec.layers count is 1003; the server's --max_layers is 50"},
      {"1003 layers (submit)", [&] { return Submit(thousands); },
       absl::StatusCode::kResourceExhausted, "--max_layers"},
      {"units 2^40", [&] { return Validate(huge_units); },
       absl::StatusCode::kInvalidArgument, "spec.layers[1].dense.units"},
      {"units 2^24", [&] { return Validate(capped_units); },
       absl::StatusCode::kResourceExhausted,
       "spec.layers[1].dense: the model has 285212672 parameters"},
      {"units 2^24 (submit)", [&] { return Submit(capped_units); },
       absl::StatusCode::kResourceExhausted, "--max_model_params"},
      {"just over --max_model_params", [&] { return Submit(just_over); },
       absl::StatusCode::kResourceExhausted,
       "the model has 10200 parameters up to this layer, more than the limit "
       "of 10000 (the server's --max_model_params)"},
      {"spec beyond --max_spec_bytes", [&] { return Validate(big_schedule); },
       absl::StatusCode::kResourceExhausted, "the server's --max_spec_bytes is 65536"},
      {"layer kind from the future (unknown field)",
       [&] { return Submit(unknown_layer); },
       absl::StatusCode::kInvalidArgument, "spec.layers[1] has no layer type"},
      {"unknown activation", [&] { return Validate(with([](v1::ModelSpec* s) {
           s->mutable_layers(1)->mutable_dense()->set_activation("999"); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[1].dense.activation"},
      {"negative units", [&] { return Validate(with([](v1::ModelSpec* s) {
           s->mutable_layers(1)->mutable_dense()->set_units(-3); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[1].dense.units"},
      {"negative input_shape", [&] { return Validate(with([](v1::ModelSpec* s) {
           s->mutable_layers(0)->mutable_flatten()->set_input_shape(0, -4); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[0].flatten.input_shape"},
      {"huge input_shape", [&] { return Validate(with([](v1::ModelSpec* s) {
           s->mutable_layers(0)->mutable_flatten()->set_input_shape(0, kHuge); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[0].flatten.input_shape"},
      {"NaN dropout rate", [&] { return Validate(with([&](v1::ModelSpec* s) {
           s->mutable_layers()->AddAllocated(new v1::Layer());
           s->mutable_layers()->SwapElements(2, 3);
           s->mutable_layers(2)->mutable_dropout()->set_rate(nan); })); },
       absl::StatusCode::kInvalidArgument, "spec.layers[2].dropout.rate"},
      {"NaN learning rate", [&] { return Submit(with([&](v1::ModelSpec* s) {
           s->mutable_optimizer()->set_learning_rate(nan); })); },
       absl::StatusCode::kInvalidArgument, "spec.optimizer.learning_rate"},
      {"Inf learning rate", [&] { return Submit(with([](v1::ModelSpec* s) {
           s->mutable_optimizer()->set_learning_rate(
               std::numeric_limits<double>::infinity()); })); },
       absl::StatusCode::kInvalidArgument, "spec.optimizer.learning_rate"},
      {"NaN validation_split", [&] { return Submit(TinySpec(), [&](v1::SubmitJobRequest* r) {
           r->mutable_config()->set_validation_split(nan); }); },
       absl::StatusCode::kInvalidArgument, "config.validation_split"},
      {"unknown job state filter 999", [&] {
         v1::ListJobsRequest r;
         r.set_state(static_cast<v1::JobState>(999));
         return Call(stub_.get(), &Stub::ListJobs, r).status(); },
       absl::StatusCode::kInvalidArgument, "state"},
  };
  RunCases(cases);
}

}  // namespace
}  // namespace profundo::server
