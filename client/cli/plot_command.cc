// plot JOB --out DIR: the job's learning curves (loss and accuracy, train and
// validation, and the learning rate) as DIR/<job>_curves.svg, from GetJob's
// per-epoch history; for an LR range test job, the loss against the rate
// (log scale) with the suggested max_rate as DIR/<job>_lr_range_test.svg.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/flags.h"
#include "client/plot/svg_plot.h"
#include "engine/status_macros.h"

namespace profundo::cli {

std::string JobCurvesSvg(const v1::Job& job) {
  std::vector<plot::EpochPoint> history;
  for (const v1::EpochMetrics& m : job.history()) {
    plot::EpochPoint p;
    p.epoch = m.epoch();
    p.loss = m.loss();
    p.accuracy = m.accuracy();
    if (m.has_val_loss()) p.val_loss = m.val_loss();
    if (m.has_val_accuracy()) p.val_accuracy = m.val_accuracy();
    p.lr = m.lr();
    history.push_back(p);
  }
  return plot::LearningCurvesSvg(
      history,
      absl::StrCat("job ", job.id(), " (", history.size(), " epochs)"));
}

std::string JobLrRangeSvg(const v1::Job& job) {
  const v1::LrRangeTestResult& r = job.lr_range_test();
  return plot::LrRangeSvg(
      {r.learning_rate().begin(), r.learning_rate().end()},
      {r.loss().begin(), r.loss().end()},
      {r.smoothed_loss().begin(), r.smoothed_loss().end()},
      r.suggested_max_rate(),
      absl::StrCat("LR range test: job ", job.id(), " (",
                   r.learning_rate_size(), " steps)"));
}

absl::Status RunPlot(const CommandContext& ctx) {
  std::string id;
  PROFUNDO_RETURN_IF_ERROR(OnlyArgument(ctx, "a job id", &id));
  const std::string dir = absl::GetFlag(FLAGS_out);
  if (dir.empty()) {
    return UsageError("plot needs --out DIR");
  }
  PROFUNDO_ASSIGN_OR_RETURN(v1::Job job, ctx.client->GetJob(id));
  const bool range_test = job.lr_range_test().learning_rate_size() > 0;
  if (job.config().has_lr_range_test() && !range_test) {
    return absl::FailedPreconditionError(absl::StrCat(
        "LR range test job ", id, " has no result yet: nothing to plot"));
  }
  if (!range_test && job.history_size() == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "job ", id, " has no finished epoch yet: nothing to plot"));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  const std::string path = absl::StrCat(
      dir, "/", id, range_test ? "_lr_range_test.svg" : "_curves.svg");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << (range_test ? JobLrRangeSvg(job) : JobCurvesSvg(job));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  *ctx.out << path << "\n";
  return absl::OkStatus();
}

}  // namespace profundo::cli
