#include "server/limits.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace profundo::server {

absl::Status ValidateLimits(const Limits& limits) {
  const std::pair<const char*, int64_t> all[] = {
      {"max_dataset_rows", limits.max_dataset_rows},
      {"max_features", limits.max_features},
      {"max_dataset_bytes", limits.max_dataset_bytes},
      {"max_model_params", limits.max_model_params},
      {"max_layers", limits.max_layers},
      {"max_spec_bytes", limits.max_spec_bytes},
      {"max_predict_rows", limits.max_predict_rows},
      {"max_mc_samples", limits.max_mc_samples},
  };
  for (const auto& [flag, value] : all) {
    if (value < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, " must be >= 1 (got ", value, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckLimit(absl::string_view field, int64_t value,
                        absl::string_view flag, int64_t limit) {
  if (value <= limit) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      field, " is ", value, "; the server's --", flag, " is ", limit));
}

}  // namespace profundo::server
