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
// otherwise INVALID_ARGUMENT naming `field`.
absl::Status ValidateClientId(absl::string_view id, absl::string_view field);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_IDS_H_
