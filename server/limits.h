// Limits: the server's configured ceilings on what one request may ask for
// (dataset rows and features, model parameters and layers, spec size,
// predict rows and MC samples), and the one way every core reports a value
// beyond them: RESOURCE_EXHAUSTED naming the request field, the value, the
// flag and the limit, e.g.
//   "inputs.shape[0] is 5000; the server's --max_predict_rows is 4096".
// Malformed values (negative, zero) are INVALID_ARGUMENT and checked where
// the field is parsed; this is only about size.
//
// The upload size (--max_upload_bytes) and queue length (--max_queued_jobs)
// stay in ServerOptions: they predate this struct.
//
// A plain value; thread-safe to read.
//
// Example:
//   PROFUNDO_RETURN_IF_ERROR(CheckLimit("inputs.shape[0]", rows,
//                                       "max_predict_rows", limits.max_predict_rows));
#ifndef PROFUNDO_SERVER_LIMITS_H_
#define PROFUNDO_SERVER_LIMITS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace profundo::server {

struct Limits {
  int64_t max_dataset_rows = 10'000'000;   // --max_dataset_rows
  int64_t max_features = 1'000'000;        // --max_features (per sample)
  // Decoded dataset size (features and labels as float32, as training holds
  // them in memory): --max_dataset_bytes.
  int64_t max_dataset_bytes = int64_t{4} << 30;
  int64_t max_model_params = 100'000'000;  // --max_model_params
  int max_layers = 1000;                   // --max_layers
  int64_t max_spec_bytes = 1 << 20;        // --max_spec_bytes
  int64_t max_predict_rows = 10'000;       // --max_predict_rows
  int max_mc_samples = 1000;               // --max_mc_samples
};

// INVALID_ARGUMENT naming the flag when a limit is < 1.
absl::Status ValidateLimits(const Limits& limits);

// OK if `value` <= `limit`; else RESOURCE_EXHAUSTED
// "<field> is <value>; the server's --<flag> is <limit>".
absl::Status CheckLimit(absl::string_view field, int64_t value,
                        absl::string_view flag, int64_t limit);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_LIMITS_H_
