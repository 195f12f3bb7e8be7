// The `profundo` CLI's commands, one function each, grouped in files by
// what they act on: datasets_commands.cc, models_commands.cc,
// jobs_commands.cc, predict_command.cc. Each reads its flags (flags.h),
// calls the client and prints a table (or, with --json, the responses as
// JSON) to ctx.out. Errors are returned, not printed: cli.cc prints
// "profundo: CODE: message" and picks the exit code.
//
// Functions of the CLI's one thread; the context's pointers are borrowed.
//
// Example:
//   CommandContext ctx{&client, /*json=*/false, /*tty=*/true, &std::cout,
//                      {"job-1"}};
//   absl::Status s = RunWatch(ctx);
#ifndef PROFUNDO_CLIENT_CLI_COMMANDS_H_
#define PROFUNDO_CLIENT_CLI_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/client.h"
#include "google/protobuf/message.h"

namespace profundo::cli {

struct CommandContext {
  const Client* client = nullptr;
  bool json = false;  // --json
  bool tty = false;   // stdout is a terminal: redraw progress in place
  std::ostream* out = nullptr;
  std::vector<std::string> args;  // positional arguments after the command
};

using CommandFn = absl::Status (*)(const CommandContext&);

// datasets_commands.cc
absl::Status RunUpload(const CommandContext& ctx);         // upload
absl::Status RunListDatasets(const CommandContext& ctx);   // datasets
absl::Status RunGetDataset(const CommandContext& ctx);     // dataset ID
absl::Status RunDeleteDataset(const CommandContext& ctx);  // delete-dataset ID

// models_commands.cc
absl::Status RunValidate(const CommandContext& ctx);     // validate|summary SPEC
absl::Status RunListModels(const CommandContext& ctx);   // models
absl::Status RunGetModel(const CommandContext& ctx);     // model ID

// jobs_commands.cc
absl::Status RunSubmit(const CommandContext& ctx);    // submit SPEC
absl::Status RunListJobs(const CommandContext& ctx);  // jobs
absl::Status RunGetJob(const CommandContext& ctx);    // job ID
absl::Status RunWatch(const CommandContext& ctx);     // watch ID
absl::Status RunCancel(const CommandContext& ctx);    // cancel ID

// predict_command.cc
absl::Status RunPredict(const CommandContext& ctx);  // predict MODEL

// ping_command.cc
absl::Status RunPing(const CommandContext& ctx);  // ping: grpc.health.v1

// health_command.cc
absl::Status RunHealth(const CommandContext& ctx);  // health JOB
// The per-layer table of `health` (one row per layer, "-" where a value
// does not apply), then the warnings.
std::string HealthText(const v1::JobHealth& health);

// plot_command.cc
absl::Status RunPlot(const CommandContext& ctx);  // plot JOB --out DIR
// The job's history as learning curves (client/plot/svg_plot.h).
std::string JobCurvesSvg(const v1::Job& job);
// An LR range test job's loss against the rate (log scale).
std::string JobLrRangeSvg(const v1::Job& job);

// Helpers shared by the command files.
// INVALID_ARGUMENT marked as a usage mistake: cli.cc then also prints the
// command's usage line.
absl::Status UsageError(const std::string& message);
bool IsUsageError(const absl::Status& status);
// The one positional argument `what` names; INVALID_ARGUMENT otherwise.
absl::Status OnlyArgument(const CommandContext& ctx, const std::string& what,
                          std::string* arg);
// With --json prints `msg` as indented JSON and returns true; otherwise
// returns false (the caller prints its table).
bool PrintedAsJson(const CommandContext& ctx,
                   const google::protobuf::Message& msg);
// Prints "More: --page_token=<token>" when another page exists.
void PrintNextPage(const CommandContext& ctx, const std::string& token);

}  // namespace profundo::cli

#endif  // PROFUNDO_CLIENT_CLI_COMMANDS_H_
