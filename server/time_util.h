// Conversions between absl::Time and google.protobuf.Timestamp.
//
// Stateless; thread-safe.
#ifndef PROFUNDO_SERVER_TIME_UTIL_H_
#define PROFUNDO_SERVER_TIME_UTIL_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace profundo::server {

google::protobuf::Timestamp ToProtoTime(absl::Time t);
absl::Time FromProtoTime(const google::protobuf::Timestamp& t);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_TIME_UTIL_H_
