#include "engine/initializers/initializer.h"

#include <cmath>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/initializers/constant.h"
#include "engine/initializers/random_normal.h"
#include "engine/initializers/random_uniform.h"
#include "engine/initializers/variance_scaling.h"
#include "engine/status_macros.h"

namespace profundo {
namespace {

constexpr const char* kNames[] = {"glorot_uniform",
                                  "glorot_normal",
                                  "he_uniform",
                                  "he_normal",
                                  "lecun_uniform",
                                  "lecun_normal",
                                  "variance_scaling",
                                  "random_normal",
                                  "random_uniform",
                                  "zeros",
                                  "ones",
                                  "constant"};

// Keras's class names, accepted as aliases of the snake_case names.
struct Alias {
  const char* alias;
  const char* name;
};
constexpr Alias kAliases[] = {{"GlorotUniform", "glorot_uniform"},
                              {"GlorotNormal", "glorot_normal"},
                              {"HeUniform", "he_uniform"},
                              {"HeNormal", "he_normal"},
                              {"LecunUniform", "lecun_uniform"},
                              {"LecunNormal", "lecun_normal"},
                              {"VarianceScaling", "variance_scaling"},
                              {"RandomNormal", "random_normal"},
                              {"RandomUniform", "random_uniform"},
                              {"Zeros", "zeros"},
                              {"Ones", "ones"},
                              {"Constant", "constant"}};

// The spec path of one argument: "<field>_args.<arg>".
std::string ArgPath(std::string_view field, std::string_view arg) {
  if (field.empty()) return absl::StrCat("args.", std::string(arg));
  return absl::StrCat(std::string(field), "_args.", std::string(arg));
}

// Arguments of `args` that are set, by name.
std::vector<std::string> SetArgs(const v1::InitializerArgs& args) {
  std::vector<std::string> set;
  if (args.has_scale()) set.push_back("scale");
  if (!args.mode().empty()) set.push_back("mode");
  if (!args.distribution().empty()) set.push_back("distribution");
  if (args.has_mean()) set.push_back("mean");
  if (args.has_stddev()) set.push_back("stddev");
  if (args.has_minval()) set.push_back("minval");
  if (args.has_maxval()) set.push_back("maxval");
  if (args.has_value()) set.push_back("value");
  return set;
}

// INVALID_ARGUMENT for any set argument that `name` does not take.
absl::Status CheckOnlyArgs(std::string_view name,
                           const v1::InitializerArgs& args,
                           std::vector<const char*> allowed,
                           std::string_view field) {
  for (const std::string& arg : SetArgs(args)) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || arg == a;
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          ArgPath(field, arg), " is not an argument of ", std::string(name),
          allowed.empty() ? " (it takes none)"
                          : absl::StrCat(" (it takes ",
                                         absl::StrJoin(allowed, ", "), ")")));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckArgFinite(double v, std::string_view field,
                            std::string_view arg) {
  if (!std::isfinite(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(ArgPath(field, arg), " must be finite, got ", v));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Initializer>> MakeVarianceScaling(
    const v1::InitializerArgs& args, std::string_view field) {
  const double scale = args.has_scale() ? args.scale() : 1.0;
  PROFUNDO_RETURN_IF_ERROR(CheckArgFinite(scale, field, "scale"));
  if (!(scale > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(ArgPath(field, "scale"), " must be > 0, got ", scale));
  }
  FanMode mode = FanMode::kFanIn;
  if (args.mode() == "fan_out") {
    mode = FanMode::kFanOut;
  } else if (args.mode() == "fan_avg") {
    mode = FanMode::kFanAvg;
  } else if (!args.mode().empty() && args.mode() != "fan_in") {
    return absl::InvalidArgumentError(absl::StrCat(
        ArgPath(field, "mode"),
        " must be one of fan_in, fan_out, fan_avg, got '", args.mode(), "'"));
  }
  Distribution distribution = Distribution::kTruncatedNormal;
  const std::string& d = args.distribution();
  if (d == "uniform") {
    distribution = Distribution::kUniform;
  } else if (d == "untruncated_normal") {
    distribution = Distribution::kUntruncatedNormal;
  } else if (!d.empty() && d != "truncated_normal" && d != "normal") {
    // tf.keras 2.x accepts "normal" as truncated_normal.
    return absl::InvalidArgumentError(absl::StrCat(
        ArgPath(field, "distribution"),
        " must be one of truncated_normal, untruncated_normal, uniform, got '",
        d, "'"));
  }
  return std::make_unique<VarianceScaling>(scale, mode, distribution);
}

absl::StatusOr<std::unique_ptr<Initializer>> MakeRandomNormal(
    const v1::InitializerArgs& args, std::string_view field) {
  const double mean =
      args.has_mean() ? args.mean() : RandomNormal::kDefaultMean;
  const double stddev =
      args.has_stddev() ? args.stddev() : RandomNormal::kDefaultStddev;
  PROFUNDO_RETURN_IF_ERROR(CheckArgFinite(mean, field, "mean"));
  PROFUNDO_RETURN_IF_ERROR(CheckArgFinite(stddev, field, "stddev"));
  if (stddev < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(ArgPath(field, "stddev"), " must be >= 0, got ", stddev));
  }
  return std::make_unique<RandomNormal>(mean, stddev);
}

absl::StatusOr<std::unique_ptr<Initializer>> MakeRandomUniform(
    const v1::InitializerArgs& args, std::string_view field) {
  const double minval =
      args.has_minval() ? args.minval() : RandomUniform::kDefaultMinval;
  const double maxval =
      args.has_maxval() ? args.maxval() : RandomUniform::kDefaultMaxval;
  PROFUNDO_RETURN_IF_ERROR(CheckArgFinite(minval, field, "minval"));
  PROFUNDO_RETURN_IF_ERROR(CheckArgFinite(maxval, field, "maxval"));
  if (minval > maxval) {
    return absl::InvalidArgumentError(absl::StrCat(
        ArgPath(field, "minval"), " (", minval,
        ") must be <= ", ArgPath(field, "maxval"), " (", maxval, ")"));
  }
  return std::make_unique<RandomUniform>(minval, maxval);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Initializer>> MakeInitializer(
    std::string_view name, const v1::InitializerArgs& args,
    std::string_view field) {
  for (const Alias& a : kAliases) {
    if (name == a.alias) name = a.name;
  }
  struct Preset {
    const char* name;
    double scale;
    FanMode mode;
    Distribution distribution;
  };
  static constexpr Preset kPresets[] = {
      {"glorot_uniform", 1.0, FanMode::kFanAvg, Distribution::kUniform},
      {"glorot_normal", 1.0, FanMode::kFanAvg, Distribution::kTruncatedNormal},
      {"he_uniform", 2.0, FanMode::kFanIn, Distribution::kUniform},
      {"he_normal", 2.0, FanMode::kFanIn, Distribution::kTruncatedNormal},
      {"lecun_uniform", 1.0, FanMode::kFanIn, Distribution::kUniform},
      {"lecun_normal", 1.0, FanMode::kFanIn, Distribution::kTruncatedNormal},
  };
  for (const Preset& p : kPresets) {
    if (name == p.name) {
      PROFUNDO_RETURN_IF_ERROR(CheckOnlyArgs(name, args, {}, field));
      return std::make_unique<VarianceScaling>(p.scale, p.mode, p.distribution);
    }
  }
  if (name == "variance_scaling") {
    PROFUNDO_RETURN_IF_ERROR(
        CheckOnlyArgs(name, args, {"scale", "mode", "distribution"}, field));
    return MakeVarianceScaling(args, field);
  }
  if (name == "random_normal") {
    PROFUNDO_RETURN_IF_ERROR(
        CheckOnlyArgs(name, args, {"mean", "stddev"}, field));
    return MakeRandomNormal(args, field);
  }
  if (name == "random_uniform") {
    PROFUNDO_RETURN_IF_ERROR(
        CheckOnlyArgs(name, args, {"minval", "maxval"}, field));
    return MakeRandomUniform(args, field);
  }
  if (name == "zeros" || name == "ones") {
    PROFUNDO_RETURN_IF_ERROR(CheckOnlyArgs(name, args, {}, field));
    return std::make_unique<Constant>(name == "ones" ? 1.0 : 0.0);
  }
  if (name == "constant") {
    PROFUNDO_RETURN_IF_ERROR(CheckOnlyArgs(name, args, {"value"}, field));
    const double value = args.has_value() ? args.value() : 0.0;
    PROFUNDO_RETURN_IF_ERROR(CheckArgFinite(value, field, "value"));
    return std::make_unique<Constant>(value);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), " '", std::string(name),
                   "' is not a known initializer; expected one of ",
                   absl::StrJoin(kNames, ", ")));
}

}  // namespace profundo
