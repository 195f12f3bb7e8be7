#include "client/cli/cli.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/channel.h"
#include "client/cli/commands.h"
#include "client/cli/flags.h"
#include "client/cli/output.h"
#include "client/json.h"
#include "engine/status_macros.h"

namespace profundo::cli {
namespace {

struct Command {
  const char* name;
  CommandFn run;
  const char* usage;
};

const Command kCommands[] = {
    {"upload", RunUpload,
     "upload --name N (--images X.idx[.gz] --labels Y.idx[.gz] | --csv F.csv "
     "[--label_column C] [--csv_header=false] | --npy X.npy --labels Y.npy)"},
    {"datasets", RunListDatasets, "datasets [--page_size N] [--page_token T]"},
    {"dataset", RunGetDataset, "dataset DATASET_ID"},
    {"delete-dataset", RunDeleteDataset, "delete-dataset DATASET_ID"},
    {"validate", RunValidate,
     "validate SPEC.json [--dataset ID] [--config CONFIG.json]"},
    {"summary", RunValidate, "summary SPEC.json (same as validate)"},
    {"models", RunListModels, "models [--name N] [--page_size N] [--page_token T]"},
    {"model", RunGetModel, "model MODEL_ID"},
    {"submit", RunSubmit,
     "submit SPEC.json --dataset ID [--config CONFIG.json] [--epochs N] "
     "[--batch_size N] [--validation_split F] [--validation_dataset ID] "
     "[--job_id ID] [--model_name N] [--seed N] [--health_every_steps N] "
     "[--tensorboard] "
     "[--lr_range_test [--lr_min R] [--lr_max R] [--lr_steps N]] [--watch]"},
    {"jobs", RunListJobs,
     "jobs [--state S] [--dataset ID] [--page_size N] [--page_token T]"},
    {"job", RunGetJob, "job JOB_ID"},
    {"watch", RunWatch, "watch JOB_ID [--after_seq N]"},
    {"cancel", RunCancel, "cancel JOB_ID"},
    {"predict", RunPredict,
     "predict MODEL_ID --input FILE (IDX, .npy or CSV) [--index I] [--count N] "
     "[--mc_samples N] [--version V] [--labels FILE] [--class_names fashion]"},
    {"health", RunHealth,
     "health JOB_ID (the latest per-layer training health and warnings)"},
    {"plot", RunPlot,
     "plot JOB_ID --out DIR (learning curves as DIR/JOB_ID_curves.svg; an LR "
     "range test as DIR/JOB_ID_lr_range_test.svg)"},
    {"ping", RunPing,
     "ping [--service S] (grpc.health.v1; exit 0 only when SERVING)"},
};

// Checks that every flag in `args` exists, so that a typo is a usage error
// (exit 2) rather than absl's own exit.
absl::Status CheckFlagsExist(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') continue;
    std::string name = a.substr(a[1] == '-' ? 2 : 1);
    name = name.substr(0, name.find('='));
    if (name.empty()) continue;
    if (absl::FindCommandLineFlag(name) != nullptr) continue;
    if (absl::StartsWith(name, "no") &&
        absl::FindCommandLineFlag(name.substr(2)) != nullptr) {
      continue;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown flag --", name, " (see 'profundo help')"));
  }
  return absl::OkStatus();
}

// A string flag's value, else the environment variable `env`; `source` is
// set to the name of the one used ("--tls_ca" or "$PROFUNDO_TLS_CA").
std::string FlagOrEnv(const absl::Flag<std::string>& flag, const char* env,
                      std::string* source = nullptr) {
  std::string value = absl::GetFlag(flag);
  if (source != nullptr) {
    *source = absl::StrCat("--", absl::GetFlagReflectionHandle(flag).Name());
  }
  if (value.empty()) {
    const char* from_env = std::getenv(env);
    if (from_env != nullptr) value = from_env;
    if (source != nullptr) *source = absl::StrCat("$", env);
  }
  return value;
}

// Reads the PEM file named by `flag` or `env` into *pem (left empty when
// neither is set).
absl::Status ReadPemFlag(const absl::Flag<std::string>& flag, const char* env,
                         std::string* pem) {
  std::string source;
  const std::string path = FlagOrEnv(flag, env, &source);
  if (path.empty()) return absl::OkStatus();
  PROFUNDO_ASSIGN_OR_RETURN(*pem, ReadPemFile(source, path));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Client>> MakeClient() {
  ClientOptions options;
  options.default_timeout = absl::GetFlag(FLAGS_timeout);
  options.upload_timeout = std::max(options.upload_timeout, options.default_timeout);
  options.bearer_token = FlagOrEnv(FLAGS_token, "PROFUNDO_TOKEN");
  ChannelSecurity security;
  const char* tls_env = std::getenv("PROFUNDO_TLS");
  security.tls = absl::GetFlag(FLAGS_tls) ||
                 (tls_env != nullptr && (std::string(tls_env) == "1" ||
                                         std::string(tls_env) == "true"));
  PROFUNDO_RETURN_IF_ERROR(
      ReadPemFlag(FLAGS_tls_ca, "PROFUNDO_TLS_CA", &security.root_certs_pem));
  PROFUNDO_RETURN_IF_ERROR(
      ReadPemFlag(FLAGS_tls_cert, "PROFUNDO_TLS_CERT", &security.cert_chain_pem));
  PROFUNDO_RETURN_IF_ERROR(
      ReadPemFlag(FLAGS_tls_key, "PROFUNDO_TLS_KEY", &security.private_key_pem));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);  // large List / Predict answers
  PROFUNDO_ASSIGN_OR_RETURN(
      std::shared_ptr<grpc::Channel> channel,
      CreateChannel(absl::GetFlag(FLAGS_server), security, args));
  return std::make_unique<Client>(std::move(channel), options);
}

}  // namespace

std::vector<std::string> NormalizeFlagNames(const std::vector<std::string>& args) {
  std::vector<std::string> out = args;
  for (size_t i = 1; i < out.size(); ++i) {
    std::string& a = out[i];
    if (a == "--") break;
    if (a.size() < 3 || a[0] != '-') continue;
    const size_t start = a[1] == '-' ? 2 : 1;
    const size_t end = std::min(a.find('='), a.size());
    std::replace(a.begin() + static_cast<std::ptrdiff_t>(start),
                 a.begin() + static_cast<std::ptrdiff_t>(end), '-', '_');
  }
  return out;
}

std::string UsageText() {
  std::string text =
      "profundo: the Profundo training service's command-line client.\n\n"
      "Usage: profundo [--server HOST:PORT] [--json] [--timeout 30s] "
      "[--token T] [--tls | --tls_ca CA.pem] [--tls_cert C.pem --tls_key "
      "K.pem] <command> ...\n\nCommands:\n";
  for (const Command& c : kCommands) absl::StrAppend(&text, "  ", c.usage, "\n");
  absl::StrAppend(
      &text,
      "\nFlags may come anywhere and use dashes or underscores "
      "(--batch-size = --batch_size).\n--json prints the responses as JSON "
      "(streams as JSON lines).\nExit codes: 0 ok, 1 error, 2 bad input, "
      "3 not found, 4 conflict / wrong state, 5 resource exhausted, "
      "6 unavailable / deadline, 7 unauthenticated, 8 job failed, "
      "9 job cancelled.\n");
  return text;
}

int RunCli(int argc, char** argv) {
  std::vector<std::string> args =
      NormalizeFlagNames(std::vector<std::string>(argv, argv + argc));
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "client/cli/");
  };
  config.normalize_filename = [](absl::string_view file) {
    return std::string(file);
  };
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(UsageText());

  if (absl::Status s = CheckFlagsExist(args); !s.ok()) {
    std::cerr << FormatError(s) << "\n";
    return ExitCodeFor(s);
  }
  std::vector<char*> raw;
  for (std::string& a : args) raw.push_back(a.data());
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(raw.size()), raw.data());

  if (positional.size() < 2 || std::string(positional[1]) == "help") {
    std::cout << UsageText();
    return positional.size() < 2 ? kExitUsage : kExitOk;
  }
  const std::string name = positional[1];
  const Command* command = nullptr;
  for (const Command& c : kCommands) {
    if (name == c.name) command = &c;
  }
  if (command == nullptr) {
    const absl::Status s = absl::InvalidArgumentError(
        absl::StrCat("unknown command '", name, "' (see 'profundo help')"));
    std::cerr << FormatError(s) << "\n";
    return ExitCodeFor(s);
  }

  absl::StatusOr<std::unique_ptr<Client>> client = MakeClient();
  if (!client.ok()) {
    std::cerr << FormatError(client.status()) << "\n";
    return ExitCodeFor(client.status());
  }
  CommandContext ctx;
  ctx.client = client->get();
  ctx.json = absl::GetFlag(FLAGS_json);
  ctx.tty = isatty(STDOUT_FILENO) == 1;
  ctx.out = &std::cout;
  ctx.args.assign(positional.begin() + 2, positional.end());
  const absl::Status status = command->run(ctx);
  std::cout.flush();
  if (!status.ok()) {
    std::cerr << FormatError(status) << "\n";
    if (IsUsageError(status)) {
      std::cerr << "usage: profundo " << command->usage << "\n";
    }
  }
  return ExitCodeFor(status);
}

constexpr char kUsagePayload[] = "profundo.cli/usage";

absl::Status UsageError(const std::string& message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

absl::Status OnlyArgument(const CommandContext& ctx, const std::string& what,
                          std::string* arg) {
  if (ctx.args.size() != 1) {
    return UsageError(absl::StrCat("expected ", what, ", got ",
                                   ctx.args.size(), " arguments"));
  }
  *arg = ctx.args[0];
  return absl::OkStatus();
}

bool PrintedAsJson(const CommandContext& ctx,
                   const google::protobuf::Message& msg) {
  if (ctx.json) *ctx.out << MessageToJson(msg);
  return ctx.json;
}

void PrintNextPage(const CommandContext& ctx, const std::string& token) {
  if (!token.empty()) *ctx.out << "More: --page_token=" << token << "\n";
}

}  // namespace profundo::cli
