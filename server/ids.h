// Ids: server-generated opaque identifiers ("ds-9f3c...", "job-...") and the
// rules for client-chosen job ids. Ids and names are catalog values only:
// nothing here ever becomes a file path (blob keys are separate, see
// BlobStore).
//
// Thread-safe.
#ifndef PROFUNDO_SERVER_IDS_H_
#define PROFUNDO_SERVER_IDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace profundo::server {

// `prefix` + "-" + 16 random lowercase hex digits (64 bits).
std::string NewId(absl::string_view prefix);

// OK if `id` is 1..63 characters of [a-z0-9-] starting with [a-z0-9];
// otherwise INVALID_ARGUMENT naming `field`. Every id a request names
// (dataset_id, model_id, job_id) has this form, so a malformed one
// ("../../etc/passwd", "a/b", "\0") is refused before any lookup.
absl::Status ValidateClientId(absl::string_view id, absl::string_view field);

// Longest dataset, model, spec or layer name, in bytes.
inline constexpr int kMaxNameBytes = 200;

// OK if `name` (a free-text label, never a path) has at most kMaxNameBytes
// bytes (and at least 1 if `required`) and no control character (bytes
// 0x00-0x1f and 0x7f); otherwise INVALID_ARGUMENT naming `field`.
absl::Status ValidateName(absl::string_view name, absl::string_view field,
                          bool required);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_IDS_H_
