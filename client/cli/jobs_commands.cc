// Job commands: submit, jobs, job, watch, cancel.
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/commands.h"
#include "client/cli/flags.h"
#include "client/cli/output.h"
#include "client/cli/progress.h"
#include "client/json.h"
#include "engine/status_macros.h"

namespace profundo::cli {
namespace {

std::string Metric(double v) { return absl::StrFormat("%.4f", v); }

bool ShowsAccuracy(const v1::ModelSpec& spec) {
  for (const std::string& m : spec.metrics()) {
    if (m == "accuracy" || m == "acc") return true;
  }
  return false;
}

std::string ModelOf(const v1::Job& job) {
  if (job.model_id().empty()) return "-";
  return absl::StrCat(job.model_id(), " v", job.model_version());
}

// OK for SUCCEEDED (or a job still running); the job's failure otherwise,
// as ABORTED (failed) or CANCELLED so that the exit code tells them apart.
absl::Status Outcome(const v1::Job& job) {
  switch (job.state()) {
    case v1::JOB_STATE_FAILED:
      return absl::AbortedError(
          absl::StrCat("job ", job.id(), " failed: ", job.error_message()));
    case v1::JOB_STATE_CANCELLED:
      return absl::CancelledError(absl::StrCat(
          "job ", job.id(), " was cancelled",
          job.error_message().empty() ? "" : ": ", job.error_message()));
    default:
      return absl::OkStatus();
  }
}

std::string RangeTestSummary(const v1::LrRangeTestResult& r) {
  return absl::StrFormat(
      "LR range test over %d steps%s, minimum smoothed loss at lr %.4g; "
      "suggested OneCycle max_rate %.4g",
      r.learning_rate_size(), r.exploded() ? " (stopped: the loss exploded)" : "",
      r.min_loss_lr(), r.suggested_max_rate());
}

// Streams the job's events after `after_seq` (JSON lines with --json,
// Keras progress otherwise), then prints the final job.
absl::Status Follow(const CommandContext& ctx, const v1::Job& job,
                    int64_t after_seq) {
  const int epochs = job.epochs() > 0 ? job.epochs() : job.config().epochs();
  EpochPrinter printer(ctx.out, ctx.tty, ShowsAccuracy(job.spec()), epochs);
  PROFUNDO_RETURN_IF_ERROR(ctx.client->WatchJob(
      job.id(), after_seq, [&](const v1::JobEvent& event) {
        if (ctx.json) {
          *ctx.out << MessageToJsonLine(event);
          ctx.out->flush();
        } else {
          printer.OnEvent(event);
        }
        return true;
      }));
  PROFUNDO_ASSIGN_OR_RETURN(v1::Job final_job, ctx.client->GetJob(job.id()));
  if (ctx.json) {
    *ctx.out << MessageToJsonLine(final_job);
  } else {
    *ctx.out << "Job " << final_job.id() << " "
             << JobStateName(final_job.state());
    if (final_job.state() == v1::JOB_STATE_SUCCEEDED &&
        final_job.has_lr_range_test()) {
      *ctx.out << ": " << RangeTestSummary(final_job.lr_range_test());
    } else if (final_job.state() == v1::JOB_STATE_SUCCEEDED) {
      *ctx.out << ": model " << final_job.model_id() << " version "
               << final_job.model_version();
    } else if (!final_job.error_message().empty()) {
      *ctx.out << ": " << final_job.error_message();
    }
    *ctx.out << "\n";
  }
  return Outcome(final_job);
}

absl::StatusOr<v1::SubmitJobRequest> SubmitFromFlags(
    const std::string& spec_path) {
  v1::SubmitJobRequest request;
  PROFUNDO_RETURN_IF_ERROR(ReadJsonFile(spec_path, request.mutable_spec()));
  request.set_dataset_id(absl::GetFlag(FLAGS_dataset));
  if (request.dataset_id().empty()) {
    return UsageError("submit needs --dataset");
  }
  v1::TrainConfig* config = request.mutable_config();
  if (!absl::GetFlag(FLAGS_config).empty()) {
    PROFUNDO_RETURN_IF_ERROR(ReadJsonFile(absl::GetFlag(FLAGS_config), config));
  }
  if (absl::GetFlag(FLAGS_epochs) > 0) config->set_epochs(absl::GetFlag(FLAGS_epochs));
  if (absl::GetFlag(FLAGS_batch_size) > 0) {
    config->set_batch_size(absl::GetFlag(FLAGS_batch_size));
  }
  if (absl::GetFlag(FLAGS_validation_split) >= 0) {
    config->set_validation_split(absl::GetFlag(FLAGS_validation_split));
  }
  if (absl::GetFlag(FLAGS_seed) >= 0) {
    config->set_seed(static_cast<uint64_t>(absl::GetFlag(FLAGS_seed)));
  }
  if (absl::GetFlag(FLAGS_health_every_steps) >= 0) {
    config->set_health_every_steps(absl::GetFlag(FLAGS_health_every_steps));
  }
  if (absl::GetFlag(FLAGS_tensorboard)) config->set_tensorboard(true);
  if (absl::GetFlag(FLAGS_lr_range_test)) {
    v1::LrRangeTestConfig* test = config->mutable_lr_range_test();
    if (absl::GetFlag(FLAGS_lr_min) > 0) test->set_min_lr(absl::GetFlag(FLAGS_lr_min));
    if (absl::GetFlag(FLAGS_lr_max) > 0) test->set_max_lr(absl::GetFlag(FLAGS_lr_max));
    if (absl::GetFlag(FLAGS_lr_steps) > 0) test->set_steps(absl::GetFlag(FLAGS_lr_steps));
  }
  request.set_validation_dataset_id(absl::GetFlag(FLAGS_validation_dataset));
  request.set_job_id(absl::GetFlag(FLAGS_job_id));
  request.set_model_name(absl::GetFlag(FLAGS_model_name));
  return request;
}

}  // namespace

absl::Status RunSubmit(const CommandContext& ctx) {
  std::string spec_path;
  PROFUNDO_RETURN_IF_ERROR(OnlyArgument(ctx, "a model spec JSON file", &spec_path));
  PROFUNDO_ASSIGN_OR_RETURN(v1::SubmitJobRequest request, SubmitFromFlags(spec_path));
  PROFUNDO_ASSIGN_OR_RETURN(v1::Job job, ctx.client->SubmitJob(request));
  const bool watch = absl::GetFlag(FLAGS_watch);
  if (ctx.json) {
    *ctx.out << (watch ? MessageToJsonLine(job) : MessageToJson(job));
  } else {
    *ctx.out << "Submitted " << job.id() << " (" << JobStateName(job.state())
             << "), model " << ModelOf(job) << "\n";
  }
  ctx.out->flush();
  if (!watch) return absl::OkStatus();
  return Follow(ctx, job, 0);
}

absl::Status RunListJobs(const CommandContext& ctx) {
  v1::ListJobsRequest request;
  if (!absl::GetFlag(FLAGS_state).empty()) {
    v1::JobState state;
    PROFUNDO_RETURN_IF_ERROR(ParseJobState(absl::GetFlag(FLAGS_state), &state));
    request.set_state(state);
  }
  request.set_dataset_id(absl::GetFlag(FLAGS_dataset));
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  PROFUNDO_ASSIGN_OR_RETURN(v1::ListJobsResponse r, ctx.client->ListJobs(request));
  if (PrintedAsJson(ctx, r)) return absl::OkStatus();
  Table t({"ID", "STATE", "MODEL", "EPOCHS", "DATASET", "LOSS", "ACCURACY",
           "CREATED"});
  for (size_t c : {3, 5, 6}) t.SetRightAligned(c);
  for (const v1::Job& j : r.jobs()) {
    const bool has = j.history_size() > 0;
    const v1::EpochMetrics last = has ? *j.history().rbegin() : v1::EpochMetrics();
    t.AddRow({j.id(), JobStateName(j.state()), ModelOf(j),
              absl::StrCat(j.epochs_completed(), "/", j.epochs()), j.dataset_id(),
              has ? Metric(last.loss()) : "-", has ? Metric(last.accuracy()) : "-",
              FormatTimestamp(j.create_time())});
  }
  *ctx.out << t.Render();
  PrintNextPage(ctx, r.next_page_token());
  return absl::OkStatus();
}

absl::Status RunGetJob(const CommandContext& ctx) {
  std::string id;
  PROFUNDO_RETURN_IF_ERROR(OnlyArgument(ctx, "a job id", &id));
  PROFUNDO_ASSIGN_OR_RETURN(v1::Job j, ctx.client->GetJob(id));
  if (PrintedAsJson(ctx, j)) return absl::OkStatus();
  *ctx.out << j.id() << " " << JobStateName(j.state()) << "\n"
           << "  dataset:  " << j.dataset_id() << "\n"
           << "  model:    " << ModelOf(j) << "\n";
  if (j.config().has_lr_range_test()) {
    *ctx.out << "  kind:     LR range test\n";
  } else {
    *ctx.out << "  epochs:   " << j.epochs_completed() << "/" << j.epochs() << "\n";
  }
  *ctx.out << "  created:  " << FormatTimestamp(j.create_time()) << "\n"
           << "  started:  " << FormatTimestamp(j.start_time()) << "\n"
           << "  ended:    " << FormatTimestamp(j.end_time()) << "\n";
  if (j.restarts() > 0) *ctx.out << "  restarts: " << j.restarts() << "\n";
  if (!j.error_message().empty()) *ctx.out << "  error:    " << j.error_message() << "\n";
  if (j.checkpoint_epochs() > 0) {
    *ctx.out << "  checkpoint: after epoch " << j.checkpoint_epochs() << "\n";
  }
  if (j.has_lr_range_test()) {
    *ctx.out << "  " << RangeTestSummary(j.lr_range_test()) << "\n";
  }
  for (const v1::HealthWarning& w : j.health().warnings()) {
    *ctx.out << "  warning:  " << HealthIssueName(w.issue()) << " ("
             << w.layer() << ") at step " << w.step() << "; see 'profundo health "
             << j.id() << "'\n";
  }
  if (j.history_size() == 0) return absl::OkStatus();
  // TIME: the server's epoch clock (first step to the end of validation);
  // "-" for epochs recorded without it (by servers from before the field).
  Table t({"EPOCH", "LOSS", "ACCURACY", "VAL_LOSS", "VAL_ACCURACY", "LR",
           "TIME"});
  for (size_t c = 0; c < 7; ++c) t.SetRightAligned(c);
  for (const v1::EpochMetrics& m : j.history()) {
    t.AddRow({absl::StrCat(m.epoch() + 1), Metric(m.loss()), Metric(m.accuracy()),
              m.has_val_loss() ? Metric(m.val_loss()) : "-",
              m.has_val_accuracy() ? Metric(m.val_accuracy()) : "-",
              absl::StrFormat("%.4g", m.lr()),
              m.seconds() > 0 ? absl::StrFormat("%.1fs", m.seconds()) : "-"});
  }
  *ctx.out << t.Render();
  return absl::OkStatus();
}

absl::Status RunWatch(const CommandContext& ctx) {
  std::string id;
  PROFUNDO_RETURN_IF_ERROR(OnlyArgument(ctx, "a job id", &id));
  PROFUNDO_ASSIGN_OR_RETURN(v1::Job job, ctx.client->GetJob(id));
  return Follow(ctx, job, absl::GetFlag(FLAGS_after_seq));
}

absl::Status RunCancel(const CommandContext& ctx) {
  std::string id;
  PROFUNDO_RETURN_IF_ERROR(OnlyArgument(ctx, "a job id", &id));
  PROFUNDO_ASSIGN_OR_RETURN(v1::Job job, ctx.client->CancelJob(id));
  if (PrintedAsJson(ctx, job)) return absl::OkStatus();
  *ctx.out << "Job " << job.id() << " " << JobStateName(job.state()) << "\n";
  return absl::OkStatus();
}

}  // namespace profundo::cli
