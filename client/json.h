// JSON forms of the API messages for the client and the CLI: protobuf's JSON
// mapping with the proto field names (snake_case, Keras's names), so a spec
// file reads like Keras and `profundo --json` prints what a user would write.
//
// Stateless; thread-safe.
//
// Example:
//   v1::ModelSpec spec;
//   absl::Status s = ReadJsonFile("deploy/examples/seed_bn.json", &spec);
//   std::cout << MessageToJson(spec);
#ifndef PROFUNDO_CLIENT_JSON_H_
#define PROFUNDO_CLIENT_JSON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace profundo {

// Replaces *msg with the message `json` describes. INVALID_ARGUMENT naming
// the message type and the parser's complaint (unknown field, bad value).
absl::Status ParseJsonMessage(absl::string_view json,
                              google::protobuf::Message* msg);

// Reads and parses a JSON file. NOT_FOUND if it cannot be read;
// INVALID_ARGUMENT "<path>: ..." if it does not parse.
absl::Status ReadJsonFile(const std::string& path,
                          google::protobuf::Message* msg);

// Indented JSON with snake_case names, every field printed (zeros too, so a
// script reading the output sees each key), ending in a newline.
std::string MessageToJson(const google::protobuf::Message& msg);

// The same on one line (JSON Lines, for streams of messages).
std::string MessageToJsonLine(const google::protobuf::Message& msg);

}  // namespace profundo

#endif  // PROFUNDO_CLIENT_JSON_H_
