#include "client/json.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace profundo {

absl::Status ParseJsonMessage(absl::string_view json,
                              google::protobuf::Message* msg) {
  msg->Clear();
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), msg);
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      msg->GetDescriptor()->name(), " JSON: ", std::string(status.message())));
}

absl::Status ReadJsonFile(const std::string& path,
                          google::protobuf::Message* msg) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream text;
  text << in.rdbuf();
  absl::Status status = ParseJsonMessage(text.str(), msg);
  if (status.ok()) return status;
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", status.message()));
}

namespace {

std::string Print(const google::protobuf::Message& msg, bool whitespace) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = whitespace;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(msg, &out, options);
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

}  // namespace

std::string MessageToJson(const google::protobuf::Message& msg) {
  return Print(msg, /*whitespace=*/true);
}

std::string MessageToJsonLine(const google::protobuf::Message& msg) {
  return Print(msg, /*whitespace=*/false);
}

}  // namespace profundo
