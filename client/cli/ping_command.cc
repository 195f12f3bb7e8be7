// The ping command: grpc.health.v1's status of the server (or of one
// service), for scripts and container health checks (deploy/Dockerfile's
// HEALTHCHECK). Prints the status; succeeds only when it is SERVING.
// (`profundo health JOB` is a training job's health: health_command.cc.)
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/flags.h"
#include "engine/status_macros.h"
#include "google/protobuf/struct.pb.h"

namespace profundo::cli {

absl::Status RunPing(const CommandContext& ctx) {
  if (!ctx.args.empty()) return UsageError("ping takes no arguments");
  const std::string service = absl::GetFlag(FLAGS_service);
  PROFUNDO_ASSIGN_OR_RETURN(const ServingStatus status,
                            ctx.client->CheckHealth(service));
  const std::string name = ServingStatusName(status);
  google::protobuf::Struct json;
  (*json.mutable_fields())["status"].set_string_value(name);
  if (!PrintedAsJson(ctx, json)) *ctx.out << name << "\n";
  if (status != ServingStatus::kServing) {
    return absl::UnavailableError(absl::StrCat(
        service.empty() ? "server" : service, " is ", name));
  }
  return absl::OkStatus();
}

}  // namespace profundo::cli
