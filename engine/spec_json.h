// JSON forms of the spec messages (protobuf's JSON mapping; snake_case Keras
// names are accepted and printed), for the CLI tools and users' files.
//
// Example:
//   auto spec = ParseJson<v1::ModelSpec>(R"({"layers": [...]})");
#ifndef PROFUNDO_ENGINE_SPEC_JSON_H_
#define PROFUNDO_ENGINE_SPEC_JSON_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace profundo {

// Parses JSON into `msg`. INVALID_ARGUMENT with the parser's message (which
// names the unknown field or bad value) on error.
absl::Status ParseJsonInto(std::string_view json, google::protobuf::Message* msg);

template <typename T>
absl::StatusOr<T> ParseJson(std::string_view json) {
  T msg;
  absl::Status s = ParseJsonInto(json, &msg);
  if (!s.ok()) return s;
  return msg;
}

// Prints with the proto field names (snake_case), indented.
std::string ToJson(const google::protobuf::Message& msg);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_SPEC_JSON_H_
